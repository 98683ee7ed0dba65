// The reactor: Monitor threshold events (durable, so none is lost across a coordinator restart)
// are acted on by kind (reaction-plan.ts) — a cleanup of safe targets, never a build tree, which a
// running build may be using, or a recommendation — and the outcome is remembered and notified.
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
import type { CleanupTarget, Config } from '../schemas/config.js';
import type { TeardownOutput } from '../schemas/agents/unmounter.js';
import { notify } from '../runtime/notify.js';
import { planReaction } from './reaction-plan.js';
import { staleBuildTrees } from './stale-trees.js';
import { processesInTree } from './tree-in-use.js';
import { join } from 'node:path';
import { recoverScratch } from '../host/delete/scratch-journal.js';

export async function startReactor(
  nc: NatsConnection,
  config: Config,
  ops: MemoryOps,
  log: Logger,
  stateRoot: string,
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
    const plan = ev.kind === 'alert' ? planReaction(ev, config, ops, stateRoot) : null;
    if (plan?.recommendation) {
      entry.recommendation = plan.recommendation;
      counts.recommendations = 1;
    }
    if (plan && config.cleanupAutoTrigger && plan.targets.length) {
      log.warn({ ev, targets: plan.targets.map((t) => t.path) }, `threshold alert: cleaning for ${ev.metric}`);
      try {
        // A build tree is torn down first (a daemon left inside ended, its mounts and loops taken
        // down), and only a tree whose teardown finished is deleted, as after a run.
        const staleNow = () => new Set(staleBuildTrees(stateRoot).trees.map((t) => t.path));
        const fromRegistry = staleNow();
        const torn = await tearDownTrees(nc, prefix, plan.targets);
        // The teardown took time: a run may have registered one of the registry's trees since the
        // plan. Only those it still calls stale go on to the Cleaner (configured targets are as given).
        const still = staleNow();
        const targets = torn.targets.filter((t) => !fromRegistry.has(t.path) || still.has(t.path));
        const blocked = [
          ...torn.blocked,
          ...torn.targets
            .filter((t) => !targets.includes(t))
            .map((t) => ({ path: t.path, reason: 'no longer stale when its clean was due' })),
        ];
        if (blocked.length) entry.blocked = blocked;
        let status = 'blocked';
        let freed = 0;
        if (targets.length) {
          const r = await replyOrRefusal(
            requestEndpoint<CleanOutput>(
              nc,
              prefix,
              'cleaner',
              'clean',
              { targets, trigger: `${ev.metric} ${ev.level}` },
              AGENT_ROUTES.clean.timeoutMs,
            ),
          );
          status = r.result?.status ?? 'none';
          freed = (r.result?.targets ?? []).reduce((n, t) => n + (t.deleted?.bytes ?? 0), 0);
        }
        entry.action = { status, bytesFreed: freed, targets: targets.map((t) => t.path) };
        counts.autoCleanups = 1;
        counts.bytesFreed = freed;
      } catch (e) {
        // Recorded, then acknowledged: a cleaner that cannot act must not replay the alert forever.
        entry.action = { status: 'failed', error: (e as Error).message };
        counts.autoCleanupFailures = 1;
      }
    }
    // Scratch dirs (in /tmp or wherever) that a killed tuner journalled: known from the journal, never
    // by name; kept while their owner lives; deleted through the safe deleter, never across a mount.
    if (plan && config.cleanupAutoTrigger && (ev.metric === 'disk' || ev.metric === 'temp')) {
      const r = await recoverScratch(join(stateRoot, 'journal', 'scratch')).catch((e: Error) => ({
        removed: [],
        failed: [{ path: 'journal', reason: e.message }],
      }));
      if (r.removed.length || r.failed.length) {
        entry.scratch = r;
        counts.scratchRemoved = r.removed.length;
        log.warn(r, `threshold alert: scratch dirs of dead processes removed for ${ev.metric}`);
      }
    }
    if (plan && !entry.action && !(config.cleanupAutoTrigger && plan.targets.length)) {
      entry.action = {
        status: 'none',
        why: config.cleanupAutoTrigger ? (plan.why ?? 'nothing to clean') : 'CLEANUP_AUTO_TRIGGER is off',
      };
    }
    await ops.record([...(plan?.decisions ?? []), { kind: 'summary', name: 'resource-management', entry, counts }]);
    // What was done about the alert, in the event stream beside it (dashboards show both).
    if (entry.action && !nc.isClosed())
      nc.publish(eventSubject(prefix, 'reactor', 'action'), encodeJson({ ...entry, at: Date.now() }));
    if (plan) {
      const a = entry.action as { status: string; bytesFreed?: number; why?: string };
      const message = plan.recommendation
        ? `${ev.metric} alert on ${ev.subject}: recommending PARALLEL_JOBS=${plan.recommendation.parallelJobs} for the next run (${plan.recommendation.why})`
        : a.status === 'none'
          ? `${ev.metric} alert on ${ev.subject} (${ev.value.toFixed(0)} %): nothing cleaned: ${a.why ?? ''}`
          : `${ev.metric} alert on ${ev.subject} (${ev.value.toFixed(0)} %): cleaned ${plan.targets.map((t) => t.path).join(', ')}: ${a.status}, ${a.bytesFreed ?? 0} bytes freed`;
      await notify(nc, prefix, {
        source: 'reactor',
        level: 'warning',
        message,
        key: 'optimization/resource-management',
      }).catch((e: Error) => log.warn({ err: e.message }, 'notification not published'));
    }
  });
}

/** Tree targets go through the Unmounter's teardown first; one it did not finish is not deleted. */
async function tearDownTrees(
  nc: NatsConnection,
  prefix: string,
  all: readonly CleanupTarget[],
): Promise<{ targets: CleanupTarget[]; blocked: { path: string; reason: string }[] }> {
  const targets: CleanupTarget[] = [];
  const blocked: { path: string; reason: string }[] = [];
  for (const t of all) {
    if (t.kind !== 'tree') {
      targets.push(t);
      continue;
    }
    const r = await replyOrRefusal(
      requestEndpoint<TeardownOutput>(
        nc,
        prefix,
        'unmounter',
        'teardown',
        { target: t.path },
        AGENT_ROUTES.teardown.timeoutMs,
      ),
    ).catch((e: Error) => ({ result: { status: 'failed', reason: e.message } }));
    const res = r.result as { status: string; reason?: string } | null;
    // A finished teardown ended only what was rooted in the tree: anything still using it keeps it whole.
    const inUse = res?.status === 'done' ? await processesInTree(t.path) : null;
    if (res?.status === 'done' && !inUse) targets.push(t);
    else
      blocked.push({
        path: t.path,
        reason: inUse ?? `teardown ${res?.status ?? 'gave no result'}: ${res?.reason ?? ''}`,
      });
  }
  return { targets, blocked };
}
