// The Cleaner's endpoints. Every target is resolved and judged by the path policy inside this agent,
// whoever asked; nothing under which anything is mounted is deleted.
import { join } from 'node:path';
import { encodeJson } from '../../src/bus/codec.js';
import { endpoint, type EndpointMap } from '../../src/bus/service.js';
import { progressSubject } from '../../src/bus/subjects.js';
import { refuse } from '../../src/schemas/bus-error.js';
import { readHomeDirs } from '../../src/host/guard/path-policy.js';
import type { AgentContext } from '../../src/runtime/agent-process.js';
import { MemoryClient } from '../../src/runtime/memory-client.js';
import { notify } from '../../src/runtime/notify.js';
import { effectivePolicy } from '../../src/runtime/policy.js';
import { cleanInput, cleanPlanInput } from '../../src/schemas/agents/cleaner.js';
import { applyClean } from './apply.js';
import { addPredictions, cleanLessons, planBytes, threadChoices } from './learning.js';
import { formatCleanPlan, planClean } from './plan.js';

export function cleanerEndpoints(ctx: AgentContext): EndpointMap {
  const policy = effectivePolicy(ctx.config);
  const memory = new MemoryClient(ctx.nc, ctx.prefix);
  const journalDir = join(ctx.stateDir, 'journal', 'cleaner');
  const lazyMarkerDir = join(ctx.stateDir, 'journal', 'unmounter');

  return {
    plan: endpoint({
      input: cleanPlanInput,
      description: 'what a cleanup would delete, with sizes, and what it refuses and why; changes nothing',
      handler: async ({ targets, forRun }) => {
        const plan = await planClean(targets, policy, await readHomeDirs(), { lazyMarkerDir, forRun });
        await addPredictions(plan, memory);
        return { plan: { ...plan, totalBytes: planBytes(plan) }, text: formatCleanPlan(plan) };
      },
    }),
    clean: endpoint({
      input: cleanInput,
      description: 'delete trees (moved aside first), evict caches, remove old temp files and stale locks, by policy',
      handler: async ({ targets, progressToken, trigger, forRun }) => {
        const homes = await readHomeDirs();
        const plan = await planClean(targets, policy, homes, { lazyMarkerDir, forRun });
        await addPredictions(plan, memory);
        const learned = await threadChoices(plan, memory);
        for (const d of learned.decisions)
          if (d.kind === 'decision')
            await notify(ctx.nc, ctx.prefix, {
              source: 'cleaner',
              level: 'info',
              message: `deleter threads: ${d.decision}`,
              key: d.key,
            }).catch((e: Error) => ctx.log.warn({ err: e.message }, 'notification not published'));
        let last = 0;
        const result = await applyClean(plan, {
          forRun,
          threads: learned.threads,
          journalDir,
          lazyMarkerDir,
          policy,
          homes,
          log: ctx.log,
          onProgress: (p) => {
            // At most a few progress messages a second: they are for a person watching.
            const now = Date.now();
            if (!progressToken || now - last < 250) return;
            last = now;
            ctx.nc.publish(progressSubject(ctx.prefix, progressToken), encodeJson(p));
          },
        });
        await memory
          .record([...learned.decisions, ...cleanLessons(result, trigger)])
          .catch((e: Error) => ctx.log.warn({ err: e.message }, 'cleanup lessons not recorded'));
        const reply = { plan: { ...plan, totalBytes: planBytes(plan) }, text: formatCleanPlan(plan), result };
        // Nothing was done because every target was refused: an error reply carrying the refusals.
        const refused = result.targets.filter((t) => t.status === 'refused');
        if (refused.length > 0 && refused.length === result.targets.length) {
          const one = refused.length === 1 ? refused[0] : undefined;
          const refusal = {
            code: one?.code ?? 'several',
            reason: refused
              .map((t) => `${t.path}: ${t.reason ?? 'refused'}${one ? '' : ` [${t.code ?? 'refused'}]`}`)
              .join('; '),
          };
          refuse(refused.every((t) => t.code === 'locked') ? 'locked' : 'refused', refusal, reply);
        }
        return reply;
      },
    }),
  };
}
