// A coordinator that starts while agents of its state dir are still serving (their coordinator was
// killed) takes them over instead of starting duplicates. They are found with the standard $SRV.INFO
// (metadata host, pid, home, prefix), checked against /proc (same host, same entry script, same
// ISOSWARM_HOME, the PID's start time), then asked to accept this coordinator as their supervisor.
import { hostname } from 'node:os';
import type { NatsConnection } from '../bus/connect.js';
import { infoAll } from '../bus/discovery.js';
import { requestEndpoint } from '../bus/request.js';
import { busHost, type ServiceName } from '../bus/subjects.js';
import { refOf, type ProcessRef } from '../host/proc/process-identity.js';
import type { Logger } from '../log/logger.js';
import { adoptEndpointName } from '../runtime/agent-process.js';
import { isAgentOf, stopProcesses } from '../runtime/swarm-processes.js';

export interface AdoptionResult {
  adopted: Map<string, ProcessRef>;
  /** Extra live instances of an agent already adopted: stopped, so that exactly one serves. */
  stoppedDuplicates: ProcessRef[];
}

export async function adoptLiveAgents(
  nc: NatsConnection,
  names: readonly string[],
  prefix: string,
  home: string,
  log: Logger,
  waitMs = 600,
): Promise<AdoptionResult> {
  const me = refOf(process.pid);
  const adopted = new Map<string, ProcessRef>();
  const duplicates: ProcessRef[] = [];
  if (!me) return { adopted, stoppedDuplicates: [] };
  const infos = await infoAll(nc, waitMs);
  for (const info of infos) {
    const md = info.metadata ?? {};
    if (!names.includes(info.name) || md.host !== busHost() || md.home !== home || md.prefix !== prefix) continue;
    const ref = refOf(Number(md.pid));
    // Metadata is what a client says of itself: /proc decides whether it is really our agent.
    if (!ref || !isAgentOf(ref, info.name, home)) continue;
    if (adopted.has(info.name)) {
      duplicates.push(ref);
      continue;
    }
    try {
      await requestEndpoint(
        nc,
        prefix,
        info.name as ServiceName,
        adoptEndpointName(ref.pid),
        { coordinator: me, host: hostname() },
        2000,
      );
      adopted.set(info.name, ref);
    } catch (e) {
      log.warn(
        { agent: info.name, pid: ref.pid, err: (e as Error).message },
        'could not adopt a live agent; it will exit after its grace period',
      );
    }
  }
  const stopped = duplicates.length ? await stopProcesses(duplicates, 5000) : [];
  if (adopted.size)
    log.info({ agents: [...adopted].map(([n, r]) => `${n}:${r.pid}`) }, 'adopted the agents of a previous coordinator');
  return { adopted, stoppedDuplicates: stopped };
}
