// The guard's verdict from the running coordinator, whose parser is already loaded; null when the
// swarm cannot answer (the caller then judges locally).
import type { NatsConnection } from '../bus/connect.js';
import type { Config } from '../schemas/config.js';
import type { GuardVerdict } from './verdict.js';

export async function judgeViaSwarm(nc: NatsConnection, config: Config, line: string, cwd: string | null, exclude: number[]): Promise<GuardVerdict | null> {
  const { requestEndpoint } = await import('../bus/request.js');
  try {
    return await requestEndpoint<GuardVerdict>(nc, config.nats.subjectPrefix, 'coordinator', 'guard', { line, cwd, exclude }, config.nats.requestTimeoutMs);
  } catch {
    return null; // an older coordinator without the endpoint, or a timeout: judged here instead
  }
}
