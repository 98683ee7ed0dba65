// The Unmounter's endpoints. Whoever asks, the agent resolves the target and applies the path policy
// itself; a teardown holds the target's lock and journals each step before doing it.
import { join } from 'node:path';
import { endpoint, type EndpointMap } from '../../src/bus/service.js';
import { refuse } from '../../src/schemas/bus-error.js';
import { teardownInput, unmountPlanInput } from '../../src/schemas/agents/unmounter.js';
import { openJournal } from '../../src/host/guard/journal.js';
import { readHomeDirs } from '../../src/host/guard/path-policy.js';
import { acquireTargetLock } from '../../src/host/guard/target-lock.js';
import { buildInTree } from '../../src/host/guard/build-lock.js';
import { MemoryClient } from '../../src/runtime/memory-client.js';
import { notify } from '../../src/runtime/notify.js';
import { effectivePolicy } from '../../src/runtime/policy.js';
import type { AgentContext } from '../../src/runtime/agent-process.js';
import { applyTeardown } from './apply.js';
import { strategyOrderFor, teardownLessons } from './learning.js';
import { formatPlan, planTeardown } from './plan.js';
import { refusedResult } from './result.js';
import type { TeardownResult } from './types.js';
import type { LearningEvent } from '../../src/schemas/memory-ops.js';

export function unmounterEndpoints(ctx: AgentContext): EndpointMap {
  const policy = effectivePolicy(ctx.config);
  const memory = new MemoryClient(ctx.nc, ctx.prefix);
  const journalDir = join(ctx.stateDir, 'journal', 'unmounter');

  return {
    plan: endpoint({
      input: unmountPlanInput,
      description: 'what a teardown would do: processes to signal, mounts in order, loops, holders; changes nothing',
      handler: async ({ target }) => {
        const plan = await planTeardown(target, policy, await readHomeDirs());
        return { plan, text: formatPlan(plan) };
      },
    }),
    teardown: endpoint({
      input: teardownInput,
      description: "end the chroot's processes, unmount everything under it children first, detach its loops, verify",
      handler: async ({ target, dryRun, graceMs, allowLazy, forRun }) => {
        const homes = await readHomeDirs();
        const plan = await planTeardown(target, policy, homes);
        if (dryRun) {
          // The refusal the real teardown would make for a build in or around the tree, shown by the dry run.
          const using = plan.target
            ? await buildInTree(plan.target.path, forRun).catch((e: Error) => `cannot check for a build: ${e.message}`)
            : null;
          if (using && !plan.refused) plan.refused = { code: 'locked', reason: using };
          return { plan, text: formatPlan(plan), result: null };
        }
        let result: TeardownResult;
        let decisions: LearningEvent[] = [];
        if (plan.refused || !plan.target) {
          result = refusedResult(null, plan.refused?.code ?? 'refused', plan.refused?.reason ?? 'no target');
        } else {
          const lock = await acquireTargetLock(plan.target.path);
          // A build using the tree holds its build lock: its processes and mounts are left alone.
          const using = lock
            ? await buildInTree(plan.target.path, forRun).catch((e: Error) => `cannot check for a build: ${e.message}`)
            : null;
          if (using) await lock?.release();
          if (!lock || using) {
            result = refusedResult(
              plan.target.path,
              'locked',
              using ?? `another teardown or cleanup of ${plan.target.path} is running`,
            );
          } else {
            try {
              const journal = await openJournal(journalDir, plan.target.path);
              const strategies = await strategyOrderFor(plan, memory);
              decisions = strategies.decisions;
              result = await applyTeardown(plan, {
                policy,
                homes,
                journal,
                strategyOrder: strategies.order,
                settleMs: ctx.config.cleanup.settleMs,
                graceMs: graceMs ?? ctx.config.cleanup.graceMs,
                allowLazy: allowLazy ?? ctx.config.cleanup.allowLazyUnmount,
                lazyMarkerDir: journalDir,
                log: ctx.log,
              });
              await journal.finish();
            } finally {
              await lock.release();
            }
          }
        }
        for (const d of decisions)
          if (d.kind === 'decision')
            await notify(ctx.nc, ctx.prefix, {
              source: 'unmounter',
              level: 'info',
              message: `strategy order: ${d.decision}`,
              key: d.key,
            }).catch((e: Error) => ctx.log.warn({ err: e.message }, 'notification not published'));
        await memory
          .record([...decisions, ...teardownLessons(plan, result)])
          .catch((e: Error) => ctx.log.warn({ err: e.message }, 'teardown lessons not recorded'));
        const reply = { plan, text: formatPlan(plan), result };
        // Refused before anything was done: an error reply with the refusal code, its reason and the reply.
        if (result.status === 'refused') {
          const refusal = result.refusal ?? { code: 'refused', reason: result.reason ?? 'refused' };
          refuse(refusal.code === 'locked' ? 'locked' : 'refused', refusal, reply);
        }
        return reply;
      },
    }),
  };
}
