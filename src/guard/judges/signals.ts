// kill, pkill and killall: signalling by name must not reach a process outside a chroot.
import { readFile, readlink } from 'node:fs/promises';
import { listPids, readProcStat } from '../../host/proc/proc-scan.js';
import type { Invocation } from '../unwrap.js';
import { options, shown, type Finding, type JudgeContext } from '../verdict.js';
import { describeProcs } from './tree-facts.js';

interface Proc {
  pid: number;
  comm: string;
  cmdline: string;
  root: string | null;
}

async function processes(exclude: number[]): Promise<Proc[]> {
  const all = await Promise.all(
    (await listPids()).map(async (pid): Promise<Proc | null> => {
      const st = await readProcStat(pid);
      if (!st || st.state === 'Z') return null;
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').then(
        (s) => s.replace(/\0+$/, '').split('\0').join(' '),
        () => '',
      );
      const root = await readlink(`/proc/${pid}/root`).catch(() => null);
      return { pid, comm: st.comm, cmdline, root };
    }),
  );
  // The caller's own shell (passed in `exclude`) is never what a pkill in its command means.
  return all.filter((p): p is Proc => p !== null && !exclude.includes(p.pid));
}

async function judgeVictims(ctx: JudgeContext, cmd: string, match: (p: Proc) => boolean): Promise<Finding> {
  const victims = (await processes(ctx.exclude)).filter(match);
  const outside = victims.filter((p) => p.root === '/' || p.root === null);
  if (outside.length > 0) {
    return {
      command: cmd,
      decision: 'deny',
      reason: `matches ${outside.length} process(es) outside any chroot: ${describeProcs(outside)}`,
      safe: 'isoswarm unmount TREE (ends only the processes whose root is the chroot)',
    };
  }
  return {
    command: cmd,
    decision: 'allow',
    reason: victims.length ? `all ${victims.length} match(es) live inside chroots` : 'matches no running process',
  };
}

export async function judgePkill(inv: Invocation, ctx: JudgeContext): Promise<Finding[]> {
  const cmd = shown(inv);
  const { flags, operands } = options(
    inv,
    /^-[uUtPgsGFe]$|^--(signal|euid|uid|terminal|parent|pgroup|session|group|pidfile|ns|nslist)$/,
  );
  const pattern = operands.find((a) => !/^-/.test(a.text ?? ''));
  if (!pattern) return [];
  if (pattern.text === null) {
    inv.notes.push(`${cmd}: the name pattern is not known before it runs`);
    return [];
  }
  const exact = flags.has('-x') || flags.has('--exact');
  const full = flags.has('-f') || flags.has('--full');
  let re: RegExp;
  try {
    re = new RegExp(exact ? `^(?:${pattern.text})$` : pattern.text, flags.has('-i') ? 'i' : '');
  } catch {
    inv.notes.push(`${cmd}: the pattern is not a regular expression the guard can read`);
    return [];
  }
  return [await judgeVictims(ctx, cmd, (p) => re.test(full ? p.cmdline : p.comm))];
}

export async function judgeKillall(inv: Invocation, ctx: JudgeContext): Promise<Finding[]> {
  const cmd = shown(inv);
  const { operands } = options(inv, /^-[sunoyY]$|^--(signal|user|older-than|younger-than|context|ns)$/);
  const out: Finding[] = [];
  for (const n of operands) {
    if (n.text === null) {
      inv.notes.push(`${cmd}: a name is not known before it runs`);
      continue;
    }
    const name = n.text;
    out.push(
      await judgeVictims(
        ctx,
        cmd,
        (p) => p.comm === name.slice(0, 15) || p.cmdline.split(' ')[0]?.split('/').pop() === name,
      ),
    );
  }
  return out;
}

/** kill by PID is the agent's own choice; `kill -1` (every process) and process groups are not. */
export async function judgeKill(inv: Invocation, ctx: JudgeContext): Promise<Finding[]> {
  const cmd = shown(inv);
  const words = inv.args.map((a) => a.text);
  let i = 0;
  while (
    i < words.length &&
    words[i] !== null &&
    words[i]!.startsWith('-') &&
    !/^-\d+$/.test(words[i]!) &&
    words[i] !== '--'
  )
    i += /^-(s|n)$/.test(words[i]!) ? 2 : 1;
  if (i === 0 && /^-\d+$/.test(words[0] ?? '') && words.length > 1) i = 1; // kill -9 PID
  if (words[i] === '--') i++;
  const targets = words.slice(i);
  if (targets.some((t) => t === '-1' || t === '0'))
    return [
      {
        command: cmd,
        decision: 'deny',
        reason: 'kill -1 / kill 0 signals every process the user may signal (or the whole group)',
      },
    ];
  const names = targets.filter((t) => t !== null && !/^-?\d+$/.test(t) && !t.startsWith('%'));
  return names.length ? [await judgeVictims(ctx, cmd, (p) => names.includes(p.comm))] : [];
}
