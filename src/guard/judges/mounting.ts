// mount --bind without a slave, chroot into a tree that exposes writable host files, and mksquashfs
// of a tree with live mounts (it packs /proc, /dev and whatever host folder is bound in).
import { resolveWord } from '../targets.js';
import type { Invocation } from '../unwrap.js';
import { options, shown, type Finding, type JudgeContext } from '../verdict.js';
import { describeMounts, safeTeardown, shq } from './tree-facts.js';

const PROPAGATION = /^--make-(r?slave|r?private|r?unbindable)$/;
const isPrivateOpt = (o: string): boolean => /(^|,)(r?slave|r?private|r?unbindable)(,|$)/.test(o);

function isShared(ctx: JudgeContext, path: string): boolean {
  return ctx.host.holding(path)?.optionalFields.some((f) => f.startsWith('shared:')) ?? false;
}

export async function judgeMount(inv: Invocation, ctx: JudgeContext): Promise<Finding[]> {
  const cmd = shown(inv);
  const { flags, operands, values } = options(
    inv,
    /^-[tOoLUTN]$|^--(types|test-opts|options|target|source|namespace|fstab)$/,
  );
  const opt = values.get('-o') ?? values.get('--options') ?? '';
  const bind =
    flags.has('--bind') || flags.has('-B') || flags.has('--rbind') || flags.has('-R') || /(^|,)r?bind(,|$)/.test(opt);
  if (!bind) return [];
  if ([...flags].some((f) => PROPAGATION.test(f)) || isPrivateOpt(opt))
    return [{ command: cmd, decision: 'allow', reason: 'the bind is made private or a slave in the same call' }];
  const [srcW, dstW] = operands;
  if (!srcW || !dstW) return [];
  const src = resolveWord(srcW, inv.cwd, true);
  const dst = resolveWord(dstW, inv.cwd, true);
  if (!src.ok || !dst.ok || src.paths.length !== 1 || dst.paths.length !== 1) {
    inv.notes.push(`${cmd}: the bind's paths are not known before it runs`);
    return [];
  }
  const target = dst.paths[0]!;
  // A later `mount --make-rslave TARGET` in the same command line closes the gap.
  const later = ctx.all.filter((o) => o.index > inv.index && o.name === 'mount');
  const fixed = later.some((o) => {
    const lo = options(o, /^-[tOo]$|^--options$/);
    if (![...lo.flags].some((f) => PROPAGATION.test(f)) && !isPrivateOpt(lo.values.get('-o') ?? '')) return false;
    return lo.operands.some((w) => {
      const r = resolveWord(w, o.cwd, true);
      return r.ok && r.paths.includes(target);
    });
  });
  if (fixed) return [{ command: cmd, decision: 'allow', reason: `${target} is made a slave right after` }];
  if (!isShared(ctx, src.paths[0]!) && !isShared(ctx, target))
    return [{ command: cmd, decision: 'allow', reason: 'neither side has shared propagation' }];
  const rec = flags.has('--rbind') || flags.has('-R') || /(^|,)rbind(,|$)/.test(opt);
  return [
    {
      command: cmd,
      decision: 'deny',
      reason: `the bind at ${target} would share mount events with the host: an unmount inside (umount -R) propagates back and takes host mounts with it`,
      safe: `mount ${rec ? '--rbind' : '--bind'} ${shq(src.paths[0]!)} ${shq(target)} && mount ${rec ? '--make-rslave' : '--make-slave'} ${shq(target)} (or isoswarm run --isolate)`,
    },
  ];
}

export async function judgeChroot(inv: Invocation, ctx: JudgeContext): Promise<Finding[]> {
  const cmd = shown(inv);
  const { operands } = options(inv, /^--(userspec|groups)$/);
  const dirW = operands[0];
  if (!dirW) return [];
  const r = resolveWord(dirW, inv.cwd, true);
  if (!r.ok) {
    inv.notes.push(`${cmd}: ${r.why}`);
    return [];
  }
  const out: Finding[] = [];
  for (const dir of r.paths) {
    const writable = ctx.host
      .mountsBelow(dir)
      .filter((m) => ctx.host.isWritable(m) && !ctx.host.isPseudo(m) && ctx.host.exposesHost(m, dir));
    if (writable.length > 0) {
      out.push({
        command: cmd,
        decision: 'deny',
        reason: `${dir} has writable host binds inside (${describeMounts(writable)}): a delete or package script in the chroot reaches the host's files`,
        safe: `bind them read-only (mount -o remount,bind,ro PATH), or isoswarm run --chroot ${shq(dir)} --isolate -- BUILD`,
      });
    } else out.push({ command: cmd, decision: 'allow', reason: `${dir} exposes no writable host files` });
  }
  return out;
}

export async function judgeMksquashfs(inv: Invocation, ctx: JudgeContext): Promise<Finding[]> {
  const cmd = shown(inv);
  const first = inv.args.findIndex((a) => a.text === null || a.text.startsWith('-'));
  const positional = first < 0 ? inv.args : inv.args.slice(0, first);
  const sources = positional.slice(0, -1);
  const out: Finding[] = [];
  for (const w of sources) {
    const r = resolveWord(w, inv.cwd, true);
    if (!r.ok) {
      inv.notes.push(`${cmd}: ${r.why}`);
      continue;
    }
    for (const src of r.paths) {
      const live = ctx.host.mountsBelow(src);
      if (live.length > 0) {
        out.push({
          command: cmd,
          decision: 'deny',
          reason: `${src} has ${live.length} live mount(s) inside (${describeMounts(live)}): the image would pack them`,
          safe: `${await safeTeardown(ctx.host, src, 'unmount')}, then mksquashfs`,
        });
      } else out.push({ command: cmd, decision: 'allow', reason: `${src} has no mounts inside` });
    }
  }
  return out;
}
