// The decision log: when a stored pattern changes what the swarm does, the decision is kept beside
// the pattern (under decisions/<pattern key>) with the evidence it was taken on, newest last, bounded.
export const DECISIONS_KEEP = 20;

export interface DecisionEntry {
  /** Who decided (agent or phase). */
  by: string;
  /** What was done differently, in plain words. */
  decision: string;
  /** The measurements the decision rested on (rates, counts, sizes), as read from the record. */
  evidence: Record<string, unknown>;
  /** What would have been done without the record, when it differs. */
  default?: string;
  at: string;
}

export interface DecisionLog {
  key: string;
  decisions: DecisionEntry[];
  total: number;
  updatedAt: string;
}

export function decisionsKey(patternKey: string): string {
  return `decisions/${patternKey}`;
}

export function addDecision(old: unknown, key: string, d: Omit<DecisionEntry, 'at'>, now: string): DecisionLog {
  const o = old as Partial<DecisionLog> | undefined;
  const prev = Array.isArray(o?.decisions) ? o.decisions : [];
  return {
    key,
    decisions: [...prev, { ...d, at: now }].slice(-DECISIONS_KEEP),
    total: (typeof o?.total === 'number' ? o.total : prev.length) + 1,
    updatedAt: now,
  };
}
