// isoswarm run [--chroot DIR] [--isolate] [--keep-on-failure] [--name N] -- CMD ARGS...
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatDuration, printJson, warn } from '../output.js';
import type { RunRecord } from '../../schemas/run-record.js';

interface Flags {
  chroot?: string;
  isolate?: boolean;
  keepOnFailure?: boolean;
  keep?: boolean;
  name?: string;
  tune: boolean;
  aptCache?: boolean;
  aptProxy?: string;
  optimizeSystem?: boolean;
  squashfs: string;
  rootCache: boolean;
  json?: boolean;
  attach?: string;
  recover?: boolean;
  tmpfsWorkdir?: boolean;
  tmpfsSize?: string;
}

export function registerRun(program: Command, globals: () => GlobalOptions): void {
  program
    .command('run')
    .description(
      "run a build under the swarm: tuning exported into its environment, the Monitor watching it, and on ANY exit (success, failure, Ctrl-C, kill -9) its chroot torn down and cleaned by policy; exits with the build's code (or 128+signal)",
    )
    .argument('[command...]', 'the build command, after --')
    .option('--chroot <dir>', 'the chroot the build uses: torn down and deleted afterwards (by policy)')
    .option(
      '--isolate',
      'run the build in a private mount namespace (slave propagation): its mounts cannot leak to the host',
    )
    .option('--keep-on-failure', 'when the build fails, unmount the chroot but keep its files for inspection')
    .option(
      '--keep',
      'keep the chroot whatever the outcome: its processes are ended and everything under it unmounted, its files stay (for incremental rebuilds; refused when a tmpfs or ramfs was mounted at or under it before the run)',
    )
    .option('--name <name>', "a name for the run (default: the command's name)")
    .option('--no-tune', "do not apply the tuner's settings")
    .option(
      '--apt-cache',
      "mount the apt archive cache (config caches.aptDir) into the chroot's /var/cache/apt/archives as a read-only overlay layer: apt-get clean inside cannot touch it; complete new .debs are harvested into it after the build",
    )
    .option(
      '--squashfs <policy>',
      'options the build passes to mksquashfs itself: respect (run as asked, report the tuned what-if), fill (add only what is absent: -processors, -mem, -b when no -comp), override (replace the compression by the tuned choice)',
      'fill',
    )
    .option(
      '--no-root-cache',
      'the debootstrap shim runs the real debootstrap every time (default: a root bootstrapped before with the same spec is restored from the cache, sha256 verified)',
    )
    .option(
      '--optimize-system',
      'root: tune kernel settings for the build (checkpointed, restored after it, even after a crash)',
    )
    .option(
      '--attach <runId>',
      "instead of starting a run: follow a registered run's output (from its start) and exit with its exit code (see `isoswarm runs`)",
    )
    .option(
      '--recover',
      'first tear down what interrupted runs left under their chroots (mounts, processes); without it a run refuses a chroot that has such leftovers',
    )
    .option(
      '--apt-proxy <url>',
      "an apt proxy for this run (apt-cacher-ng, e.g. http://build1:3142; also ISOSWARM_APT_PROXY): the build's http_proxy, so apt and debootstrap fetch each .deb once per farm",
    )
    .option(
      '--tmpfs-workdir',
      "mount a tmpfs of the run's own at the chroot (absent or empty) before the build, sized from the chroot's size at this name's last run +25 % (or --tmpfs-size); refused (exit 2, nothing created or mounted) unless MemAvailable holds twice that tree, or when a component of its path is a symlink; taken down last by the teardown, whatever the outcome; not with --keep or --keep-on-failure",
    )
    .option('--tmpfs-size <size>', 'with --tmpfs-workdir: the tmpfs size (e.g. 2G, 512M) instead of the measured basis')
    .option('--json', 'print the run record as JSON at the end')
    .passThroughOptions()
    .action(async (command: string[], o: Flags) => {
      const c = await import('../context.js');
      const ctx = c.cliContext(globals());
      const proxy = o.aptProxy ?? process.env.ISOSWARM_APT_PROXY;
      if (proxy) {
        const { aptProxyEnv } = await import('../../host/system/apt-proxy.js');
        try {
          // The build's environment is this process's: the proxy reaches the build and its chroot's apt.
          Object.assign(process.env, aptProxyEnv(proxy));
        } catch (e) {
          const { CliError, EXIT } = await import('../exit-codes.js');
          throw new CliError((e as Error).message, EXIT.usage);
        }
      }
      if (o.attach !== undefined) {
        if (command.length) throw new CliError('--attach takes no build command', EXIT.usage);
        const { isValidRunId } = await import('../../report/run-store.js');
        const { existsSync } = await import('node:fs');
        const { runDir } = await import('../../run/registry.js');
        if (!isValidRunId(o.attach) || !existsSync(runDir(ctx.paths.root, o.attach)))
          throw new CliError(`no registered run "${o.attach}": see \`isoswarm runs\``, EXIT.usage);
        const { attachRun } = await import('../../run/attach.js');
        const r = await attachRun(ctx.paths.root, o.attach, !!o.json);
        if (o.json)
          printJson({
            runId: o.attach,
            exitCode: r.exitCode,
            state: r.state,
            lost: r.entry.lost,
            report: r.entry.done?.report ?? null,
          });
        else warn(`run ${o.attach}: exit ${r.exitCode ?? 'unknown'} (${r.state})`);
        process.exitCode = r.exitCode ?? EXIT.failed;
        return;
      }
      const { resolve } = await import('node:path');
      let chroot = o.chroot ? resolve(o.chroot) : null;
      if (!command.length) throw new CliError('nothing to run: give the build command after --', EXIT.usage);
      const say = (m: string) => !o.json && warn(m);
      const { detectBuilder } = await import('../../builders/detect.js');
      const builder = detectBuilder(command, process.cwd());
      let keep = o.keep ? { reason: '--keep' } : null;
      if (!chroot && builder.name === 'live-build' && builder.chroot) {
        // live-build's chroot is known; users keep it for incremental rebuilds unless they name it.
        const { checkChrootPolicy } = await import('../../runtime/chroot-policy.js');
        const refusal = await checkChrootPolicy(builder.chroot, ctx.config);
        if (refusal)
          say(
            `live-build's chroot ${builder.chroot} is not one isoswarm may take apart (${refusal.reason}); the run leaves it alone`,
          );
        else {
          chroot = builder.chroot;
          keep ??= {
            reason: `live-build ran without --chroot: its chroot/ is kept for incremental rebuilds (give --chroot ${chroot} to have it deleted)`,
          };
        }
      }
      if (o.keep && !chroot) throw new CliError('--keep needs a chroot (--chroot DIR)', EXIT.usage);
      const tmpfsWorkdir: { sizeBytes: number | null; notKept?: string } | null = o.tmpfsWorkdir
        ? await tmpfsOption(o, chroot)
        : null;
      if (o.tmpfsSize !== undefined && !o.tmpfsWorkdir)
        throw new CliError('--tmpfs-size goes with --tmpfs-workdir', EXIT.usage);
      if (tmpfsWorkdir && keep) {
        tmpfsWorkdir.notKept = `the chroot is on a tmpfs for this run: not kept (${keep.reason})`;
        say(tmpfsWorkdir.notKept);
        keep = null;
      }
      if (!['respect', 'fill', 'override'].includes(o.squashfs))
        throw new CliError(`--squashfs ${o.squashfs}: expected respect, fill or override`, EXIT.usage);
      if (chroot) {
        // The chroot is judged before anything runs: a build must not start on a tree we would refuse.
        const { checkChrootPolicy } = await import('../../runtime/chroot-policy.js');
        const refusal = await checkChrootPolicy(chroot, ctx.config);
        if (refusal)
          throw new CliError(`refusing --chroot ${chroot}: ${refusal.reason} [${refusal.code}]`, EXIT.refused);
      }
      // Leftovers of interrupted runs are reported; on this run's own chroot they must be recovered first.
      const { findLeftovers, describeLeftover } = await import('../../run/leftovers.js');
      const leftovers = await findLeftovers(ctx.paths.root);
      for (const l of leftovers)
        warn(`${describeLeftover(l)}${o.recover ? ': tearing them down first (--recover)' : ''}`);
      const mine = chroot ? leftovers.filter((l) => l.chroot === chroot) : [];
      if (mine.length && !o.recover)
        throw new CliError(
          `refusing to start on ${chroot}: an interrupted run left mounts or processes there; run again with --recover to tear them down first`,
          EXIT.refused,
        );
      const { withAnySwarm } = await import('../ephemeral.js');
      const { orchestrateRun } = await import('../../run/orchestrate.js');
      const { RunRefusal } = await import('../../run/tmpfs-workdir.js');
      const out = await withAnySwarm(
        ctx,
        (nc) =>
          orchestrateRun(ctx.config, nc, {
            command,
            chroot,
            isolate: !!o.isolate,
            keepOnFailure: !!o.keepOnFailure,
            keep,
            builder,
            name: o.name ?? command[0]!.split('/').pop()!,
            tune: o.tune,
            aptCache: !!o.aptCache,
            optimizeSystem: !!o.optimizeSystem,
            squashfs: o.squashfs as 'respect' | 'fill' | 'override',
            rootCache: o.rootCache,
            json: !!o.json,
            stateRoot: ctx.paths.root,
            recover: o.recover ? leftovers.map((l) => l.chroot) : [],
            tmpfsWorkdir,
            say,
          }),
        say,
      ).catch((e: Error) => {
        throw e instanceof RunRefusal ? new CliError(e.message, e.kind === 'refused' ? EXIT.refused : EXIT.usage) : e;
      });
      const { saveRun } = await import('../../run/save.js');
      let saved: { record: RunRecord; html: string; file: string };
      if (out.takenOver && out.dir) {
        // Stopped or hung past its lease, this runner lost the run: the swarm's record is the one.
        say("this run's lease had lapsed: the swarm is finishing it; waiting for its record");
        const { waitDone } = await import('../../run/registry.js');
        const done = await waitDone(out.dir);
        const { readRunFile } = await import('../../report/run-store.js');
        if (!done.recordFile || !done.report)
          throw new CliError(`run ${out.record.runId} was finished by the swarm without a record`, EXIT.failed);
        saved = { record: readRunFile(done.recordFile), html: done.report, file: done.recordFile };
      } else saved = saveRun(ctx.paths, out.record);
      const { record, html, file } = saved;
      if (out.dir && !out.takenOver) {
        const { markDone } = await import('../../run/registry.js');
        markDone(out.dir, {
          at: new Date().toISOString(),
          recordFile: file,
          report: html,
          exitCode: record.exitCode,
          runnerLost: false,
        });
      }
      if (o.json) printJson({ ...record, report: html });
      else {
        const dur = formatDuration(Date.parse(record.endedAt ?? record.startedAt) - Date.parse(record.startedAt));
        warn(`run ${record.runId}: exit ${record.exitCode}${record.signal ? ` (${record.signal})` : ''} after ${dur}`);
        if (record.teardown)
          warn(
            `teardown of ${record.teardown.target ?? chroot}: ${record.teardown.status}, ${record.teardown.signalled.length} processes signalled, ${record.teardown.unmounted.length} mounts unmounted`,
          );
        for (const n of record.notes) warn(`note: ${n}`);
        warn(`report: ${html}`);
      }
      process.exitCode = record.exitCode ?? EXIT.failed;
    });
}

/** `--tmpfs-workdir` checks that need no swarm: a chroot, not kept, a valid size (exit 2 otherwise). */
async function tmpfsOption(o: Flags, chroot: string | null): Promise<{ sizeBytes: number | null }> {
  if (!chroot) throw new CliError('--tmpfs-workdir needs a chroot (--chroot DIR); nothing was mounted', EXIT.usage);
  if (o.keep || o.keepOnFailure)
    throw new CliError(
      `--tmpfs-workdir with ${o.keep ? '--keep' : '--keep-on-failure'}: a kept tmpfs loses its files when it is unmounted; nothing was mounted`,
      EXIT.usage,
    );
  if (o.tmpfsSize === undefined) return { sizeBytes: null };
  const { parseSize } = await import('./cache.js');
  const n = parseSize(o.tmpfsSize);
  if (!n) throw new CliError(`--tmpfs-size ${o.tmpfsSize}: expected a size such as 512M or 2G`, EXIT.usage);
  return { sizeBytes: n };
}
