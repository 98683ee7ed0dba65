// The swarm as the MCP tools reach it: the running coordinator over NATS, or a clear error when the
// swarm is down (an MCP call must not start processes behind the agent's back).
import type { StatePaths } from '../host/system/state-dir.js';
import { connectSwarm } from '../runtime/swarm-connect.js';
import type { Config } from '../schemas/config.js';
import type { NatsConnection } from '../bus/connect.js';
import { closeBus } from '../bus/connect.js';
import { requestEndpoint } from '../bus/request.js';

export interface McpContext {
  config: Config;
  paths: StatePaths;
}

export class ToolError extends Error {}

export async function withCoordinator<T>(
  ctx: McpContext,
  fn: (
    call: <R>(endpoint: string, payload: unknown, timeoutMs?: number) => Promise<R>,
    nc: NatsConnection,
  ) => Promise<T>,
): Promise<T> {
  const s = await connectSwarm(ctx);
  if (!s) throw new ToolError('the swarm is not running: start it with `isoswarm up`');
  try {
    return await fn(
      <R>(ep: string, p: unknown, t?: number) =>
        requestEndpoint<R>(
          s.nc,
          ctx.config.nats.subjectPrefix,
          'coordinator',
          ep,
          p,
          t ?? ctx.config.nats.requestTimeoutMs,
        ),
      s.nc,
    );
  } finally {
    await closeBus(s.nc);
  }
}
