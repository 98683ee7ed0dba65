// The run report's debootstrap section: each root the shim looked up, hit (restored, with the time the
// real run took when it was made) or miss (and the spec fields that differed from the nearest stored root).
import { formatBytes, formatDuration } from './format.js';

interface Lookup {
  key: string;
  target: string;
  outcome: string;
  reason: string;
  nearest?: { differs: { field: string }[] } | null;
  restoreMs?: number;
  bytes?: number;
}

export function rootCacheMd(lookups: unknown, code: (v: unknown) => string, text: (v: unknown) => string): string[] {
  if (!Array.isArray(lookups) || lookups.length === 0) return [];
  const out = ['### debootstrap calls (through the root cache)', ''];
  (lookups as Lookup[]).forEach((l, i) => {
    const numbers =
      l.outcome === 'hit' && l.restoreMs !== undefined
        ? ` — ${formatBytes(l.bytes ?? 0)} restored in ${formatDuration(l.restoreMs)}`
        : '';
    const fields = l.nearest?.differs.length ? ` (differs in ${l.nearest.differs.map((d) => d.field).join(', ')})` : '';
    out.push(
      `${i + 1}. ${text(l.outcome)} into ${code(l.target)}, key ${code(l.key)}${numbers}${fields}: ${text(l.reason)}`,
    );
  });
  out.push('');
  return out;
}
