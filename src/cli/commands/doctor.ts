// isoswarm doctor: what the tool needs on this host, and how to fix each gap.
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

interface Check {
  name: string;
  ok: boolean;
  required: boolean;
  detail: string;
  fix?: string;
}

const context = () => import('../context.js');

export function registerDoctor(program: Command, globals: () => GlobalOptions): void {
  program
    .command('doctor')
    .description(
      'check what isoswarm needs (nats-server, mksquashfs, xorriso, debootstrap, root, mount namespaces) and say how to fix each gap',
    )
    .option('--json', 'print as JSON')
    .action(async (o: { json?: boolean }) => {
      const ctx = (await context()).cliContext(globals());
      const { which, run } = await import('../../host/exec.js');
      const { userInfo } = await import('node:os');
      const { accessSync, constants } = await import('node:fs');
      const checks: Check[] = [];
      const tool = async (bin: string, pkg: string, required: boolean, versionArgs: string[]) => {
        const p = await which(bin);
        const v = p ? (await run(p, versionArgs)).stdout.split('\n')[0]?.trim() : '';
        checks.push({
          name: bin,
          ok: !!p,
          required,
          detail: p ? `${p} ${v ?? ''}`.trim() : 'not found',
          fix: p ? undefined : `apt-get install -y ${pkg}`,
        });
      };
      await tool('nats-server', 'nats-server', !ctx.config.nats.url, ['--version']);
      await tool('mksquashfs', 'squashfs-tools', false, ['-version']);
      await tool('xorriso', 'xorriso', false, ['-version']);
      await tool('debootstrap', 'debootstrap', false, ['--version']);
      await tool('umount', 'mount', true, ['--version']);
      await tool('losetup', 'mount', false, ['--version']);
      const root = userInfo().uid === 0;
      checks.push({
        name: 'root',
        ok: root,
        required: false,
        detail: root ? 'running as root' : `running as uid ${userInfo().uid}`,
        fix: root ? undefined : 'unmount, teardown and --optimize-system need root: run them with sudo',
      });
      const ns = await run('unshare', ['--mount', '--propagation', 'slave', 'true']);
      checks.push({
        name: 'mount namespaces',
        ok: ns.exitCode === 0,
        required: false,
        detail: ns.exitCode === 0 ? 'unshare --mount works' : ns.stderr.trim() || 'unshare failed',
        fix:
          ns.exitCode === 0
            ? undefined
            : 'needed by `isoswarm run --isolate`: run as root, outside a restricted container',
      });
      let writable = true;
      try {
        accessSync(ctx.paths.root, constants.W_OK);
      } catch {
        writable = false;
      }
      checks.push({
        name: 'state dir',
        ok: writable,
        required: true,
        detail: ctx.paths.root,
        fix: writable ? undefined : 'set ISOSWARM_HOME to a writable directory',
      });
      const major = Number(process.versions.node.split('.')[0]);
      checks.push({
        name: 'node',
        ok: major >= 20,
        required: true,
        detail: process.version,
        fix: major >= 20 ? undefined : 'install Node.js 20 or newer',
      });
      const bad = checks.filter((c) => !c.ok && c.required);
      if (o.json) printJson({ ok: bad.length === 0, checks });
      else {
        for (const c of checks) {
          printLine(`${c.ok ? 'ok  ' : c.required ? 'FAIL' : 'warn'}  ${c.name.padEnd(17)} ${c.detail}`);
          if (c.fix) printLine(`      fix: ${c.fix}`);
        }
      }
      if (bad.length) process.exitCode = EXIT.unavailable;
    });
}
