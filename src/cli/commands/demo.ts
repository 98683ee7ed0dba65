// isoswarm demo: the main job for someone who just cloned the repository.
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatBytes, formatDuration, printJson, printLine, warn } from '../output.js';

export function registerDemo(program: Command, globals: () => GlobalOptions): void {
  program
    .command('demo')
    .description(
      "build a real small image in a scratch dir (chroot with proc, sysfs, /dev, devpts, /run mounted, a daemon inside), squash it with the tuner's choice, crash the build, and let the swarm take it all apart; needs root",
    )
    .option('--json', 'print the summary as JSON')
    .action(async (o: { json?: boolean }) => {
      const { userInfo } = await import('node:os');
      if (userInfo().uid !== 0)
        throw new CliError('the demo mounts file systems and must run as root (sudo isoswarm demo)', EXIT.unavailable);
      const c = await import('../context.js');
      const ctx = c.cliContext(globals());
      const { withAnySwarm } = await import('../ephemeral.js');
      const { runDemo } = await import('../../demo/demo.js');
      const say = (m: string) => !o.json && warn(m);
      const started = Date.now();
      const s = await withAnySwarm(ctx, (nc) => runDemo(ctx.config, ctx.paths, nc, say, !!o.json), say);
      if (o.json) printJson(s);
      else {
        printLine('');
        printLine(`isoswarm demo ${s.ok ? 'PASSED' : 'FAILED'} in ${formatDuration(Date.now() - started)}`);
        printLine(`  root tree        ${s.tree.files} files, ${formatBytes(s.tree.bytes)}`);
        if (s.tuning) {
          printLine(
            `  tuning applied   ${Object.entries(s.tuning.applied)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ')}`,
          );
          if (s.tuning.predicted)
            printLine(
              `  predicted        ${formatDuration(s.tuning.predicted.timeMs)}, ${formatBytes(s.tuning.predicted.sizeBytes)}`,
            );
        }
        if (s.squashfs)
          printLine(
            `  squashfs built   ${formatDuration(s.squashfs.timeMs)}, ${formatBytes(s.squashfs.sizeBytes)} (measured)`,
          );
        if (s.isoBytes !== null) printLine(`  ISO              ${formatBytes(s.isoBytes)} (xorriso)`);
        printLine(`  build            crashed on purpose (exit ${s.exitCode}), everything left mounted`);
        if (s.teardown)
          printLine(
            `  teardown         ${s.teardown.status}: ${s.teardown.signalled} process(es) ended, ${s.teardown.unmounted} mounts unmounted`,
          );
        if (s.clean) printLine(`  cleanup          ${s.clean.status}: ${formatBytes(s.clean.bytes)} deleted`);
        printLine(
          `  host             mount table ${s.host.mountsUnchanged ? 'unchanged' : 'CHANGED'}, /dev/null ${s.host.devNullIntact ? 'intact' : 'DAMAGED'}, ${s.host.leftUnderWork.length} mounts left`,
        );
        for (const n of s.notes) printLine(`  note: ${n}`);
        printLine(`  report           ${s.report}`);
      }
      if (!s.ok) process.exitCode = EXIT.failed;
    });
}
