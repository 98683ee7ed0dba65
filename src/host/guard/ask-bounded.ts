// Asking the holders of many bound lock names, within a bound. A long wait per name: a live holder
// slowed by load must not read as silent and refuse an unrelated dir. A bound on the whole check: any
// local user can bind names like ours, thousands of them, and the check runs while a lock is held. So
// the names are asked side by side, none is started past the bound, and a name not asked by then
// refuses (it cannot be ruled out).

export const ASK_MS = 5000;
const MIN_ASK_MS = 500;
export const CHECK_MS = 8000;
const SIDE_BY_SIDE = 32;

/**
 * The first refusal of `ask` over `items` (null: none refused). `ask` gets the time it may wait for one
 * answer; `overdue(left)` is the refusal when `left` items were not asked within `checkMs`.
 */
export async function firstRefusal<T>(
  items: readonly T[],
  ask: (item: T, timeoutMs: number) => Promise<string | null>,
  overdue: (left: number) => string,
  checkMs = CHECK_MS,
): Promise<string | null> {
  const deadline = Date.now() + checkMs;
  const queue = [...items];
  let refusal: string | null = null;
  const askNext = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined && refusal === null; item = queue.shift()) {
      if (Date.now() >= deadline) {
        refusal = overdue(queue.length + 1);
        return;
      }
      const why = await ask(item, Math.max(MIN_ASK_MS, Math.min(ASK_MS, deadline - Date.now())));
      refusal ??= why;
    }
  };
  await Promise.all(Array.from({ length: Math.min(SIDE_BY_SIDE, queue.length) }, askNext));
  return refusal;
}
