// isoswarm unmount ROOT: end the chroot's processes, unmount everything under it, verify.
import type { Command } from 'commander';
import type { TeardownOutput } from '../../schemas/agents/unmounter.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, printLine, warn } from '../output.js';

type Result = NonNullable<TeardownOutput['result']>;

export function exitFor(status: string): number {
  return status === 'done' ? EXIT.ok : status === 'refused' ? EXIT.refused : EXIT.failed;
}

export function printTeardown(r: Result): void {
  const head = r.status === 'done' ? 'torn down' : r.status === 'refused' ? 'REFUSED' : 'FAILED';
  printLine(`${head}: ${r.target ?? '(no target)'} in ${Math.round(r.durationMs)} ms`);
  for (const s of r.signalled) printLine(`  signalled pid ${s.pid} (${s.cmdline}): ${s.outcome}`);
  for (const m of r.unmounted) printLine(`  unmounted ${JSON.stringify(m)}`);
  for (const l of r.detachedLoops) printLine(`  ${l.ok ? 'detached' : 'could not detach'} ${l.device}`);
  for (const h of r.holders)
    printLine(`  left alone (outside the chroot, uses files inside): pid ${h.pid} ${h.cmdline || h.comm}`);
  for (const m of r.remaining) printLine(`  still mounted: ${JSON.stringify(m.mountPoint)} (${m.fsType})`);
  if (r.usedLazy) printLine('  a lazy detach was needed: do not delete this tree until the detached mount is gone');
  if (r.reason) printLine(`  reason: ${r.reason}`);
}

export function registerUnmount(program: Command, globals: () => GlobalOptions): void {
  program
    .command('unmount <root>')
    .description(
      'take a chroot apart: end processes rooted in it (TERM, grace, KILL), unmount everything under it children first, detach its loop devices, verify. Refused when it is, or contains, the chroot of a running `isoswarm run` (--dry-run shows it). Exit 0 done, 3 refused, 1 failed',
    )
    .option('--dry-run', 'print the plan and change nothing')
    .option('--grace-ms <ms>', 'wait this long after SIGTERM before SIGKILL', (v) => Number(v))
    .option('--allow-lazy', 'permit a lazy detach as the last resort (recorded; the tree is then never deleted)')
    .option('--json', 'print the full plan and result as JSON')
    .action(async (root: string, o: { dryRun?: boolean; graceMs?: number; allowLazy?: boolean; json?: boolean }) => {
      if (o.graceMs !== undefined && !(o.graceMs >= 0))
        throw new CliError('--grace-ms must be a number of milliseconds', EXIT.usage);
      const c = await import('../context.js');
      const ctx = c.cliContext(globals());
      const { withAnySwarm } = await import('../ephemeral.js');
      const { replyOrRefusal } = await import('../../schemas/bus-error.js');
      const reply = await withAnySwarm(
        ctx,
        (nc) =>
          replyOrRefusal(
            c.callRoute(ctx, nc, 'teardown', {
              target: root,
              dryRun: !!o.dryRun,
              graceMs: o.graceMs,
              allowLazy: o.allowLazy,
              // Called from inside a build `isoswarm run` started: that run's lock on its chroot lets it by.
              forRun: process.env.ISOSWARM_RUN_ID || undefined,
            }),
          ),
        (m) => !o.json && warn(m),
        { dryRun: !!o.dryRun },
      );
      if (o.json) printJson(reply);
      else if (o.dryRun || !reply.result) printLine(reply.text);
      else printTeardown(reply.result);
      process.exitCode = reply.result ? exitFor(reply.result.status) : reply.plan.refused ? EXIT.refused : EXIT.ok;
    });
}
