// The reactor: Monitor threshold events (durable, so none is lost across a coordinator restart)
// trigger a cleanup of the configured safe targets — caches over their limit, old temp files, stale
// locks; never a build tree, which a running build may be using — and the outcome is remembered.
import type { NatsConnection } from '../bus/connect.js';
import { encodeJson } from '../bus/codec.js';
import { consumeDurable, type DurableHandle } from '../bus/jetstream.js';
import { requestEndpoint } from '../bus/request.js';
import { eventSubject } from '../bus/subjects.js';
import type { Logger } from '../log/logger.js';
import type { MemoryOps } from '../memory/operations.js';
import type { ThresholdEvent } from '../schemas/agents/monitor.js';
import { AGENT_ROUTES } from '../schemas/agents/routes.js';
import { replyOrRefusal } from '../schemas/bus-error.js';
import type { CleanOutput } from '../schemas/agents/cleaner.js';
import type { Config } from '../schemas/config.js';

export async function startReactor(
  nc: NatsConnection,
  config: Config,
  ops: MemoryOps,
  log: Logger,
): Promise<DurableHandle> {
  const prefix = config.nats.subjectPrefix;
  return consumeDurable(nc, prefix, 'reactor', eventSubject(prefix, 'monitor', '>'), async (_subject, payload, seq) => {
    const ev = payload as ThresholdEvent;
    const entry: Record<string, unknown> = {
      event: ev.kind,
      metric: ev.metric,
      subject: ev.subject,
      level: ev.level,
      value: ev.value,
      threshold: ev.threshold,
      seq,
    };
    const counts: Record<string, number> = { [`${ev.metric}-${ev.kind}`]: 1 };
    const safeTargets = config.cleanup.targets.filter((t) => t.kind !== 'tree');
    if (ev.kind === 'alert' && config.cleanupAutoTrigger && safeTargets.length) {
      log.warn({ ev }, 'threshold alert: cleaning the configured safe targets');
      try {
        const r = await replyOrRefusal(
          requestEndpoint<CleanOutput>(
            nc,
            prefix,
            'cleaner',
            'clean',
            { targets: safeTargets, trigger: `${ev.metric} ${ev.level}` },
            AGENT_ROUTES.clean.timeoutMs,
          ),
        );
        const freed = (r.result?.targets ?? []).reduce((n, t) => n + (t.deleted?.bytes ?? 0), 0);
        entry.action = {
          status: r.result?.status ?? 'none',
          bytesFreed: freed,
          targets: safeTargets.map((t) => t.path),
        };
        counts.autoCleanups = 1;
        counts.bytesFreed = freed;
      } catch (e) {
        // Recorded, then acknowledged: a cleaner that cannot act must not replay the alert forever.
        entry.action = { status: 'failed', error: (e as Error).message };
        counts.autoCleanupFailures = 1;
      }
    } else if (ev.kind === 'alert') {
      entry.action = {
        status: 'none',
        why: config.cleanupAutoTrigger ? 'no cache, temp or lock targets configured' : 'CLEANUP_AUTO_TRIGGER is off',
      };
    }
    await ops.record([{ kind: 'summary', name: 'resource-management', entry, counts }]);
    // What was done about the alert, in the event stream beside it (dashboards show both).
    if (entry.action && !nc.isClosed())
      nc.publish(eventSubject(prefix, 'reactor', 'action'), encodeJson({ ...entry, at: Date.now() }));
  });
}
