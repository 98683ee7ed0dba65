// Plan and apply a teardown the way the Unmounter agent does, with a journal that records every step.
import { applyTeardown } from '../../agents/unmounter/apply.js';
import { formatPlan, planTeardown } from '../../agents/unmounter/plan.js';
import type { ApplyOptions, TeardownPlan, TeardownResult } from '../../agents/unmounter/types.js';
import type { Fixture } from './chroot-fixture.js';

export interface JournalEntry {
  phase: 'begin' | 'done';
  step: Record<string, unknown>;
}

export interface TeardownRun {
  plan: TeardownPlan;
  text: string;
  result: TeardownResult;
  journal: JournalEntry[];
}

export async function teardown(
  fx: Fixture,
  target = fx.chroot,
  opts: Partial<ApplyOptions> = {},
): Promise<TeardownRun> {
  const plan = await planTeardown(target, fx.policy, fx.homes);
  const journal: JournalEntry[] = [];
  const result = await applyTeardown(plan, {
    policy: fx.policy,
    homes: fx.homes,
    graceMs: 500,
    journal: {
      begin: async (step) => void journal.push({ phase: 'begin', step: step as Record<string, unknown> }),
      done: async (step) => void journal.push({ phase: 'done', step: step as Record<string, unknown> }),
    },
    ...opts,
  });
  return { plan, text: formatPlan(plan), result, journal };
}
