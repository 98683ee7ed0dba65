// rm, find -delete / -exec rm, and xargs rm: a recursive delete must not cross a live mount, run
// under a chroot's live processes, or take a protected host directory.
import { isAtOrUnder } from '../../host/fs/paths.js';
import { resolveWord } from '../targets.js';
import type { ShellWord } from '../shell-words.js';
import type { Invocation } from '../unwrap.js';
import { options, shown, type Finding, type JudgeContext } from '../verdict.js';
import { describeMounts, describeProcs, safeTeardown, treeFacts } from './tree-facts.js';

const PROTECTED_CODES = new Set(['root', 'top-level', 'denied', 'home']);
/**
 * The host's own trees: a recursive delete of one of them or of a folder right inside one (`/etc/*`,
 * `/usr/lib`, `/var/lib/dpkg`) is refused; deeper ones (`/var/lib/apt/lists/*`) are ordinary work.
 */
const SYSTEM_TREES = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/sbin',
  '/sys',
  '/usr',
  '/var/lib',
  '/var/cache',
  '/var/log',
  '/run',
];

function systemTree(path: string): string | undefined {
  const depth = path.split('/').filter(Boolean).length;
  return SYSTEM_TREES.find((t) => isAtOrUnder(path, t) && depth <= t.split('/').filter(Boolean).length + 1);
}
/** Files here are the host's devices and kernel state, whatever the policy says. */
const KERNEL_TREES = ['/dev', '/proc', '/sys'];

/** Judges deleting `tree` and everything below it. */
async function judgeTree(ctx: JudgeContext, cmd: string, tree: string): Promise<Finding> {
  const v = await ctx.host.policy(tree);
  if (!v.ok && PROTECTED_CODES.has(v.code)) return { command: cmd, decision: 'deny', reason: `${tree}: ${v.reason}` };
  const sys = v.ok ? undefined : systemTree(tree);
  if (sys)
    return {
      command: cmd,
      decision: 'deny',
      reason: `${tree} is ${tree === sys ? '' : 'a folder right inside '}the host's ${sys}`,
    };
  // The tree itself may already be host files: a folder inside a /dev bind, or the host's /dev.
  const asFile = await judgeFile(ctx, cmd, tree);
  if (asFile.decision === 'deny') return asFile;
  const f = await treeFacts(ctx.host, tree);
  if (f.mounts.length > 0) {
    return {
      command: cmd,
      decision: 'deny',
      reason: `${tree} has ${f.mounts.length} live mount(s) inside: ${describeMounts(f.mounts)}; the delete would go through them into the host`,
      safe: await safeTeardown(ctx.host, tree, 'cleanup'),
    };
  }
  if (f.rooted.length > 0) {
    return {
      command: cmd,
      decision: 'deny',
      reason: `${f.rooted.length} process(es) live in ${tree} as their root: ${describeProcs(f.rooted)}`,
      safe: await safeTeardown(ctx.host, tree, 'cleanup'),
    };
  }
  return { command: cmd, decision: 'allow', reason: `${tree}: no mounts and no processes inside` };
}

/** Judges deleting one file (no recursion): only host files seen through a bind or a kernel tree matter. */
async function judgeFile(ctx: JudgeContext, cmd: string, path: string): Promise<Finding> {
  if (KERNEL_TREES.some((k) => isAtOrUnder(path, k)))
    return {
      command: cmd,
      decision: 'deny',
      reason: `${path} is in the host's ${KERNEL_TREES.find((k) => isAtOrUnder(path, k))}`,
    };
  const m = ctx.host.holding(path);
  if (m && m.mountPoint !== '/' && ctx.host.exposesHost(m, m.mountPoint) && (await ctx.host.policy(m.mountPoint)).ok) {
    return {
      command: cmd,
      decision: 'deny',
      reason: `${path} is a host file seen through the mount at ${m.mountPoint} (${m.fsType})`,
      safe: await safeTeardown(ctx.host, m.mountPoint, 'unmount'),
    };
  }
  return { command: cmd, decision: 'allow', reason: `${path}: a plain file delete` };
}

async function judgePaths(
  ctx: JudgeContext,
  inv: Invocation,
  words: ShellWord[],
  cwd: string | null,
  recursive: boolean,
): Promise<Finding[]> {
  const cmd = shown(inv);
  const out: Finding[] = [];
  for (const w of words) {
    const r = resolveWord(w, cwd, false);
    if (!r.ok) {
      inv.notes.push(`${cmd}: ${r.why}`);
      continue;
    }
    for (const p of r.paths) out.push(recursive ? await judgeTree(ctx, cmd, p) : await judgeFile(ctx, cmd, p));
  }
  return out;
}

export async function judgeRm(inv: Invocation, ctx: JudgeContext): Promise<Finding[]> {
  const { flags, operands } = options(inv);
  const recursive = flags.has('-r') || flags.has('-R') || flags.has('--recursive');
  const out = await judgePaths(ctx, inv, operands, inv.cwd, recursive);
  if (inv.xargsInput) out.push(...(await judgeXargsInput(ctx, inv, recursive)));
  return out;
}

/** `find P... -delete` or `-exec rm`: every start point is deleted from below, as far as find walks. */
export async function judgeFind(inv: Invocation, ctx: JudgeContext): Promise<Finding[]> {
  const texts = inv.args.map((a) => a.text);
  const execs = texts.flatMap((t, i) => (t !== null && /^-(exec|execdir|ok|okdir)$/.test(t) ? [texts[i + 1]] : []));
  const deletes =
    texts.includes('-delete') ||
    execs.some((e) => e !== null && e !== undefined && /(^|\/)(rm|unlink|shred|rmdir)$/.test(e));
  if (!deletes) return [];
  let i = 0;
  while (i < inv.args.length && /^-[HLP]$|^-D$|^-O\d*$/.test(inv.args[i]!.text ?? ''))
    i += inv.args[i]!.text === '-D' ? 2 : 1;
  const starts: ShellWord[] = [];
  for (; i < inv.args.length; i++) {
    const t = inv.args[i]!.text;
    if (t !== null && (t.startsWith('-') || t === '(' || t === '!' || t === ',')) break;
    starts.push(inv.args[i]!);
  }
  if (starts.length === 0) starts.push({ text: '.', glob: false, raw: '.' });
  return judgePaths(ctx, inv, starts, inv.cwd, true);
}

/** xargs appends what its input prints: from `find P` that is anything under P; from echo/ls/printf their words. */
async function judgeXargsInput(ctx: JudgeContext, inv: Invocation, recursive: boolean): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const src of inv.xargsInput ?? []) {
    const name = src.argv[0]?.text?.split('/').pop();
    const args = src.argv.slice(1);
    if (name === 'find') {
      const starts = args.filter(
        (_a, i) => !args.slice(0, i + 1).some((b) => b.text === null || /^[-(!]/.test(b.text)),
      );
      out.push(
        ...(await judgePaths(ctx, inv, starts.length ? starts : [{ text: '.', glob: false, raw: '.' }], src.cwd, true)),
      );
    } else if (name === 'echo' || name === 'ls' || name === 'printf') {
      out.push(
        ...(await judgePaths(
          ctx,
          inv,
          args.filter((a) => !a.text?.startsWith('-')),
          src.cwd,
          recursive,
        )),
      );
    } else {
      inv.notes.push(
        `${shown(inv)}: the paths xargs reads from ${src.argv[0]?.raw ?? 'its input'} are not known before it runs`,
      );
    }
  }
  return out;
}
