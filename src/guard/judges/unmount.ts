// umount and fuser -k: a leaf unmount of a build's own mount is fine; lazy and recursive unmounts,
// unmounts of host mounts and killing by file use are what logged users out and broke hosts.
import { holdersInside } from '../../host/proc/proc-scan.js';
import { resolveWord } from '../targets.js';
import type { Invocation } from '../unwrap.js';
import { options, shown, type Finding, type JudgeContext } from '../verdict.js';
import { describeMounts, describeProcs, safeTeardown } from './tree-facts.js';

export async function judgeUmount(inv: Invocation, ctx: JudgeContext): Promise<Finding[]> {
  const cmd = shown(inv);
  const { flags, operands } = options(inv, /^-[tOoN]$|^--(types|test-opts|namespace)$/);
  if (flags.has('-a') || flags.has('--all') || flags.has('-A') || flags.has('--all-targets')) {
    return [{ command: cmd, decision: 'deny', reason: 'umount -a/-A unmounts host mounts, not only a build tree' }];
  }
  const lazy = flags.has('-l') || flags.has('--lazy');
  const recursive = flags.has('-R') || flags.has('--recursive');
  const follow = !flags.has('--no-canonicalize');
  const out: Finding[] = [];
  for (const w of operands) {
    const r = resolveWord(w, inv.cwd, follow);
    if (!r.ok) {
      inv.notes.push(`${cmd}: ${r.why}`);
      continue;
    }
    for (const t of r.paths) {
      if (!ctx.host.isMountPoint(t)) {
        const below = ctx.host.mountsBelow(t);
        // `umount -R DIR` / `umount -l DIR` on a build dir means "take its mounts down": what
        // follows in such scripts (rm -rf) then crosses whatever the umount left behind.
        if ((lazy || recursive) && below.length > 0 && (await ctx.host.policy(t)).ok) {
          out.push({
            command: cmd,
            decision: 'deny',
            reason: `${t} is not itself mounted, so this unmounts nothing while ${below.length} mount(s) stay below it (${describeMounts(below)})`,
            safe: await safeTeardown(ctx.host, t, 'unmount'),
          });
        } else out.push({ command: cmd, decision: 'allow', reason: `nothing is mounted at ${t}` });
        continue;
      }
      const v = await ctx.host.policy(t);
      if (!v.ok) {
        out.push({ command: cmd, decision: 'deny', reason: `${t} is a host mount (${v.reason})` });
        continue;
      }
      const below = ctx.host.mountsBelow(t);
      const rooted = await ctx.host.rootedIn(t);
      if (lazy) {
        out.push({
          command: cmd,
          decision: 'deny',
          reason: `umount -l detaches ${t} and hides what is still in use${below.length ? ` (${below.length} mount(s) below it)` : ''}${rooted.length ? `, ${rooted.length} process(es) rooted inside: ${describeProcs(rooted)}` : ''}; a delete afterwards goes through it`,
          safe: await safeTeardown(ctx.host, t, 'unmount'),
        });
        continue;
      }
      if (recursive && below.length > 0) {
        out.push({
          command: cmd,
          decision: 'deny',
          reason: `umount -R ${t} takes ${below.length + 1} mounts down without ending the processes that hold them (${describeMounts(below)}); on failure scripts fall back to -l`,
          safe: await safeTeardown(ctx.host, t, 'unmount'),
        });
        continue;
      }
      out.push({
        command: cmd,
        decision: 'allow',
        reason: below.length
          ? `${t} has mounts below it: umount refuses (busy), which harms nothing`
          : `${t} is a leaf mount under a safe prefix`,
      });
    }
  }
  return out;
}

export async function judgeFuser(inv: Invocation, ctx: JudgeContext): Promise<Finding[]> {
  const cmd = shown(inv);
  const { flags, operands } = options(inv, /^-[-]?$/);
  const kill = flags.has('-k') || flags.has('--kill');
  if (!kill) return [];
  if (flags.has('-m') || flags.has('-M') || flags.has('--mount') || flags.has('--ismountpoint')) {
    return [
      {
        command: cmd,
        decision: 'deny',
        reason:
          'fuser -km kills every process using the file system that holds the path (on a /dev bind or /: the whole session)',
        safe: operands[0]?.text ? await safeTeardown(ctx.host, operands[0].text, 'unmount') : 'isoswarm unmount TREE',
      },
    ];
  }
  const out: Finding[] = [];
  for (const w of operands) {
    if (w.text && /^-?(SIG)?[A-Z0-9]+$/.test(w.text) && w.text.startsWith('-')) continue; // -TERM
    const r = resolveWord(w, inv.cwd, true);
    if (!r.ok) {
      inv.notes.push(`${cmd}: ${r.why}`);
      continue;
    }
    for (const t of r.paths) {
      const holding = ctx.host.holding(t);
      const host = ctx.host.mountsAtOrUnder(t).filter((m) => ctx.host.exposesHost(m, t));
      if (
        holding &&
        holding.mountPoint !== '/' &&
        !host.includes(holding) &&
        ctx.host.exposesHost(holding, holding.mountPoint) &&
        (await ctx.host.policy(holding.mountPoint)).ok
      )
        host.push(holding);
      if (host.length > 0) {
        out.push({
          command: cmd,
          decision: 'deny',
          reason: `fuser matches by inode: through ${describeMounts(host)} it kills host processes (terminals holding /dev files)`,
          safe: await safeTeardown(ctx.host, t, 'unmount'),
        });
        continue;
      }
      const outside = await holdersInside(t);
      if (outside.length > 0) {
        out.push({
          command: cmd,
          decision: 'deny',
          reason: `${outside.length} process(es) outside the chroot use ${t}: ${describeProcs(outside)}; fuser -k would kill them`,
          safe: await safeTeardown(ctx.host, t, 'unmount'),
        });
        continue;
      }
      out.push({ command: cmd, decision: 'allow', reason: `no process outside ${t} uses it` });
    }
  }
  return out;
}
