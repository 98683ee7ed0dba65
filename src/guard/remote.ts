// The guard's verdict from the running coordinator, whose parser is already loaded; null when the
// swarm cannot answer (the caller then judges locally).
import type { SwarmLink } from '../runtime/swarm-link.js';
import type { GuardVerdict } from './verdict.js';

export async function judgeViaSwarm(
  link: SwarmLink,
  line: string,
  cwd: string | null,
  exclude: number[],
): Promise<GuardVerdict | null> {
  try {
    return await link.call<GuardVerdict>('guard', { line, cwd, exclude });
  } catch {
    return null; // an older coordinator without the endpoint, or a timeout: judged here instead
  }
}
