// Commands that need the agents use the running swarm, or start one for the call and stop it after.
import type { NatsConnection } from '../bus/connect.js';
import type { CliContext } from './context.js';

export async function withAnySwarm<T>(ctx: CliContext, fn: (nc: NatsConnection) => Promise<T>, say: (m: string) => void = () => undefined): Promise<T> {
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
  await up(ctx.config, ctx.paths);
  const stop = () => void down(ctx.paths).finally(() => process.exit(130));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    return await c.withSwarm(ctx, fn);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    await down(ctx.paths);
  }
}
