// Commands that need the agents use the running swarm, or start one for the call and stop it after.
// A swarm started for one command stops itself when that CLI is killed (temporary-swarm.ts); one
// started for a dry run changes nothing on its own (read-only-swarm.ts).
import type { NatsConnection } from '../bus/connect.js';
import type { CliContext } from './context.js';

export async function withAnySwarm<T>(
  ctx: CliContext,
  fn: (nc: NatsConnection) => Promise<T>,
  say: (m: string) => void = () => undefined,
  opts: { dryRun?: boolean } = {},
): Promise<T> {
  const c = await import('./context.js');
  const s = await c.connectSwarm(ctx);
  if (s) {
    const { closeBus } = await import('../bus/connect.js');
    try {
      return await fn(s.nc);
    } finally {
      await closeBus(s.nc);
    }
  }
  const { up, down } = await import('../runtime/lifecycle.js');
  say('no swarm running: starting one for this command');
  // Started for this command: if this CLI is killed (SIGKILL runs no finally), the swarm finishes
  // any run it was given and then stops itself.
  const coordinatorEnv: NodeJS.ProcessEnv = {};
  const { refOf } = await import('../host/proc/process-identity.js');
  const { TEMPORARY_FOR_CLI_ENV } = await import('../coordinator/temporary-swarm.js');
  const me = refOf(process.pid);
  if (me) coordinatorEnv[TEMPORARY_FOR_CLI_ENV] = `${me.pid}:${me.startTime}`;
  if (opts.dryRun) {
    const { READ_ONLY_SWARM_ENV } = await import('../runtime/read-only-swarm.js');
    coordinatorEnv[READ_ONLY_SWARM_ENV] = '1';
  }
  await up(ctx.config, ctx.paths, { coordinatorEnv });
  // A first Ctrl-C must not cut a teardown in half (or skip the one after a build that Ctrl-C just
  // stopped): it is noted and the work finishes. A second one stops the swarm at once.
  let signals = 0;
  const stop = (sig: NodeJS.Signals) => {
    if (++signals === 1) {
      say(`${sig}: finishing what is in progress (teardown included); send it again to stop the swarm now`);
      return;
    }
    void down(ctx.paths).finally(() => process.exit(130));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    return await c.withSwarm(ctx, fn);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await down(ctx.paths);
  }
}
