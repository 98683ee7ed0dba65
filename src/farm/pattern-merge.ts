// How a farm merges what its hosts learn (docs/farm.md, "Merge rules"). Hosts do not ship records,
// they ship their learning events; each is applied to the shared record with the same reducers that
// apply it locally, exactly once: the record keeps, per host, the last event sequence applied
// (`farm.applied[host]`), so a retried compare-and-set after a lost acknowledgement adds nothing twice.
// - counts add: unmount-strategies, cleanup-success, caching-effectiveness, summaries' totals;
// - the newest measurement wins per fingerprint: a put (parallel-config/<fingerprint>, ...) older than
//   the stored one (by measuredAt, else updatedAt) is dropped;
// - host-specific records (resource-management: this host's disks and memory) stay keyed by host:
//   other hosts read them as farm/<host>/<key>, never merged into their own.
import { applyEvent } from '../memory/operations.js';
import type { LearningEvent } from '../schemas/memory-ops.js';

export const HOST_SPECIFIC = ['optimization/resource-management'];

export interface Pending {
  seq: number;
  key: string;
  event: LearningEvent;
  at: string;
}

interface FarmMark {
  farm?: { applied?: Record<string, number> };
}

export function isHostSpecific(key: string): boolean {
  return HOST_SPECIFIC.includes(key);
}

/** KV keys allow [-/_=.A-Za-z0-9] with `.` as the token separator: anything else (and `.`) becomes =XX. */
function enc(key: string): string {
  return key.replace(/[^A-Za-z0-9/_-]/g, (c) =>
    [...Buffer.from(c)].map((b) => `=${b.toString(16).padStart(2, '0')}`).join(''),
  );
}

function dec(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length;) {
    if (s[i] === '=') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 3;
    } else bytes.push(s.charCodeAt(i++));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** Shared records: `s.<key>`; host-specific ones: `h.<host>.<key>`. */
export function kvKeyOf(memKey: string, host: string): string {
  return isHostSpecific(memKey) ? `h.${host}.${enc(memKey)}` : `s.${enc(memKey)}`;
}

export function memKeyOf(kvKey: string): { key: string; host: string | null } | null {
  const s = /^s\.([^.]+)$/.exec(kvKey);
  if (s) return { key: dec(s[1]!), host: null };
  const h = /^h\.([^.]+)\.([^.]+)$/.exec(kvKey);
  return h ? { key: dec(h[2]!), host: h[1]! } : null;
}

/** The last sequence of `host` already in `value`. */
export function appliedOf(value: unknown, host: string): number {
  return (value as FarmMark | null)?.farm?.applied?.[host] ?? 0;
}

const measured = (v: unknown): string => {
  const r = (v ?? {}) as { measuredAt?: unknown; updatedAt?: unknown };
  return String(r.measuredAt ?? r.updatedAt ?? '');
};

/** `base` with `host`'s pending events (ordered by seq) applied, those already in it skipped. */
export function foldPending(base: unknown, host: string, pending: Pending[]): unknown {
  const applied = appliedOf(base, host);
  const todo = pending.filter((p) => p.seq > applied).sort((a, b) => a.seq - b.seq);
  if (!todo.length) return base;
  let v = base;
  for (const p of todo) {
    if (p.event.kind === 'put') {
      if (v === undefined || v === null || measured(p.event.value) >= measured(v)) v = p.event.value;
    } else v = applyEvent(v, p.event, p.at);
  }
  const marks = { ...((base as FarmMark | null)?.farm?.applied ?? {}), [host]: todo[todo.length - 1]!.seq };
  return v && typeof v === 'object' ? { ...(v as object), farm: { applied: marks } } : v;
}
