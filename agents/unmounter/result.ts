// The one shape of a teardown that has not done anything yet, and of one refused before acting:
// the refusal's code travels as data, so the endpoint never parses it back out of a sentence.
import type { TeardownResult } from './types.js';

export function blankResult(target: string | null): TeardownResult {
  return {
    status: 'refused',
    target,
    signalled: [],
    unmounted: [],
    attempts: [],
    detachedLoops: [],
    holders: [],
    foreign: [],
    remaining: [],
    usedLazy: false,
    durationMs: 0,
  };
}

/** Marks `result` refused with its code; the reason keeps the code in brackets for people reading it. */
export function markRefused(result: TeardownResult, code: string, reason: string): TeardownResult {
  result.status = 'refused';
  result.reason = `${reason} [${code}]`;
  result.refusal = { code, reason };
  return result;
}

export function refusedResult(target: string | null, code: string, reason: string): TeardownResult {
  return markRefused(blankResult(target), code, reason);
}
