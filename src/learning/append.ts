// Appending one item to a list kept in a record, as one read-modify-write in the single writer's
// transaction: two agents (or two calls of one agent) appending at the same moment both land.
// Pure: the writer applies it to the value it holds.

export interface AppendEvent {
  /** The item added. */
  item: unknown;
  /** The record's list field; absent: the value itself is the list. */
  field?: string;
  /** Items kept: the newest win. */
  max: number;
  /** An earlier item with the same value of this field is replaced (not duplicated). */
  replaceBy?: string;
  /** Fields set on the record (a new record starts from them). */
  set?: Record<string, unknown>;
}

const prop = (x: unknown, k: string): unknown =>
  x !== null && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined;

export function appendItem(old: unknown, e: AppendEvent): unknown {
  const prev = e.field === undefined ? old : prop(old, e.field);
  let list = Array.isArray(prev) ? prev : [];
  if (e.replaceBy !== undefined) {
    const id = prop(e.item, e.replaceBy);
    list = list.filter((x) => prop(x, e.replaceBy as string) !== id);
  }
  const next = [...list, e.item].slice(-Math.max(1, e.max));
  if (e.field === undefined) return next;
  const base = old !== null && typeof old === 'object' && !Array.isArray(old) ? old : {};
  return { ...base, ...e.set, [e.field]: next };
}
