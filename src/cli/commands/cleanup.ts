// isoswarm cleanup [TARGETS...]: the request's cleanup-system.sh, safely. A build tree is first taken
// apart by the Unmounter (processes, mounts, loops); only a tree verified free of mounts is deleted.
import type { Command } from 'commander';
import type { CleanupTarget } from '../../schemas/config.js';
import type { RouteReply } from '../../schemas/agents/contracts.js';
import type { GlobalOptions } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { formatBytes, printJson, printLine, warn } from '../output.js';

interface Flags {
  dryRun?: boolean;
  force?: boolean;
  verbose?: boolean;
  monitor?: boolean;
  json?: boolean;
}

type Target = CleanupTarget;

type TeardownReply = RouteReply<'teardown'>;
/** A clean's reply is its plan's reply and the result; a dry run has only the plan. */
type CleanReply = RouteReply<'clean-plan'> & { result?: RouteReply<'clean'>['result'] };

function defaultTargets(env: NodeJS.ProcessEnv, configured: Target[]): Target[] {
  const out: Target[] = [];
  for (const v of ['AILINUX_BUILD_CHROOT_DIR', 'AILINUX_BUILD_TEMP_DIR'])
    if (env[v]) out.push({ path: env[v]!, kind: 'tree' });
  return [...out, ...configured];
}

async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

export function registerCleanup(program: Command, globals: () => GlobalOptions): void {
  program
    .command('cleanup [targets...]')
    .description(
      'take build trees apart and delete them by policy, never across a mount; with no targets: AILINUX_BUILD_CHROOT_DIR, AILINUX_BUILD_TEMP_DIR and config cleanup.targets. A target that is, or contains, the chroot of a running `isoswarm run` (or the tree a shell-init script locked) is refused as a whole (nothing in it touched; --dry-run shows it). Exit 0 done, 3 refused, 1 failed',
    )
    .option('--dry-run', 'print the plan (processes, mounts in order, trees with sizes) and change nothing')
    .option('--force', 'do not ask before a large delete on a terminal (never widens the path policy)')
    .option('--verbose', 'print each step')
    .option(
      '--monitor',
      'show live resource use (CPU, memory, load, disks) on stderr while working, and the progress of long deletes',
    )
    .option('--json', 'print plans and results as JSON')
    .action(async (args: string[], o: Flags) => {
      const c = await import('../context.js');
      const ctx = c.cliContext(globals());
      const targets: Target[] = args.length
        ? args.map((p) => ({ path: p, kind: 'tree' as const }))
        : defaultTargets(process.env, ctx.config.cleanup.targets);
      if (!targets.length)
        throw new CliError(
          'no targets: name them, set AILINUX_BUILD_CHROOT_DIR / AILINUX_BUILD_TEMP_DIR, or configure cleanup.targets',
          EXIT.usage,
        );
      const say = (m: string) => !o.json && warn(m);
      const { withAnySwarm } = await import('../ephemeral.js');
      const { progressSubject } = await import('../../bus/subjects.js');
      const { randomBytes } = await import('node:crypto');
      const { teardownThenClean } = await import('../../run/teardown-then-clean.js');
      // Called from inside a build `isoswarm run` started: that run's lock on its chroot lets it by.
      const forRun = process.env.ISOSWARM_RUN_ID || undefined;
      const out = await withAnySwarm(
        ctx,
        async (nc) => {
          const call = <T>(ep: string, p: unknown) => c.callCoordinator<T>(ctx, nc, ep, p);
          const trees = targets.filter((t) => t.kind === 'tree');
          // 1. Plans first, changing nothing: what the policy refuses is never touched at all.
          const plans: Record<string, TeardownReply> = {};
          for (const t of trees)
            plans[t.path] = await c.callRoute(ctx, nc, 'teardown', { target: t.path, dryRun: true, forRun });
          const refusedByPolicy = trees
            .filter((t) => plans[t.path]?.plan.refused)
            .map((t) => ({ path: t.path, status: 'refused', reason: plans[t.path]!.plan.refused!.reason }));
          const allowed = targets.filter((t) => !refusedByPolicy.some((r) => r.path === t.path));
          const plan: CleanReply | null = allowed.length
            ? await c.callRoute(ctx, nc, 'clean-plan', { targets: allowed, forRun })
            : null;
          if (o.dryRun) {
            for (const t of trees) say(plans[t.path]!.text);
            return { teardowns: plans, clean: plan, blocked: refusedByPolicy, dryRun: true };
          }
          // 2. A large delete is confirmed on a terminal before anything happens (teardown included).
          const total = plan?.plan.totalBytes ?? 0;
          if (plan && process.stdin.isTTY && !o.force && total > ctx.config.cleanup.confirmAboveBytes) {
            say(plan.text);
            if (
              !(await confirm(
                `Take apart and delete ${formatBytes(total)}${trees.length ? ' (mounted trees: their size shows once unmounted)' : ''}?`,
              ))
            ) {
              throw new CliError('nothing done (not confirmed)', EXIT.refused);
            }
          }
          // 3. Teardown; only trees the Unmounter finished go on to the Cleaner.
          const token = randomBytes(6).toString('hex');
          const sub =
            o.monitor || o.verbose ? nc.subscribe(progressSubject(ctx.config.nats.subjectPrefix, token)) : null;
          if (sub) {
            void (async () => {
              for await (const m of sub) {
                const p = JSON.parse(new TextDecoder().decode(m.data)) as {
                  path: string;
                  files: number;
                  bytes: number;
                };
                if (!o.json)
                  process.stderr.write(`\r\x1b[2K  deleting ${p.path}: ${p.files} files, ${formatBytes(p.bytes)}`);
              }
            })();
          }
          const { watchResources } = await import('../resource-watch.js');
          const watch = o.monitor ? watchResources(ctx, nc, (l) => process.stderr.write(`\r\x1b[2K${l}\n`)) : null;
          let monitor: Awaited<ReturnType<NonNullable<typeof watch>['stop']>> | undefined;
          const done = await teardownThenClean<TeardownReply, CleanReply>(call, allowed, {
            progressToken: token,
            forRun,
            onTeardown: (_path, reply) => o.verbose && reply && say(reply.text),
          }).finally(async () => {
            sub?.unsubscribe();
            monitor = await watch?.stop();
          });
          if (sub && done.clean && !o.json) process.stderr.write('\n');
          const teardowns = done.teardowns as Record<string, TeardownReply>;
          const blocked = [
            ...refusedByPolicy,
            ...done.blocked.map((b) => ({
              path: b.path,
              status: b.status,
              reason: `not deleted: the teardown did not finish: ${teardowns[b.path]?.result?.reason ?? 'unknown'}`,
            })),
          ];
          return { teardowns, clean: done.clean, blocked, dryRun: false, ...(monitor ? { monitor } : {}) };
        },
        say,
        { dryRun: !!o.dryRun },
      );
      if (o.json) printJson(out);
      else if (out.dryRun) {
        for (const b of out.blocked) printLine(`REFUSED ${JSON.stringify(b.path)}: ${b.reason}`);
        if (out.clean) printLine(out.clean.text);
        if (out.clean && Object.keys(out.teardowns).length)
          printLine(
            '(mounts in the teardown plans above are unmounted first; a tree refused here for its mounts is deleted after that)',
          );
      } else {
        for (const b of out.blocked)
          printLine(`${b.status === 'failed' ? 'FAILED' : 'REFUSED'} ${JSON.stringify(b.path)}: ${b.reason}`);
        for (const t of out.clean?.result?.targets ?? []) {
          const d = t.deleted
            ? ` (${t.deleted.files} files, ${t.deleted.dirs} dirs, ${formatBytes(t.deleted.bytes)})`
            : '';
          printLine(`${t.status.toUpperCase()} ${JSON.stringify(t.path)}${d}${t.reason ? `: ${t.reason}` : ''}`);
        }
      }
      // 1 when something was attempted and failed (a teardown may have unmounted part of a tree);
      // 3 only when a safety check refused and nothing of that target was changed.
      const statuses = [...out.blocked.map((b) => b.status), out.clean?.result?.status ?? 'done'];
      process.exitCode = statuses.includes('failed')
        ? EXIT.failed
        : statuses.includes('refused')
          ? EXIT.refused
          : EXIT.ok;
    });
}
