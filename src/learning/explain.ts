// `patterns explain`: a stored record in plain words, the measurements behind it, and the decisions
// it changed. Pure: the caller reads the entries.
import { formatBytes, formatDuration } from '../text/units.js';
import { PATTERNS, SUMMARIES } from '../schemas/memory-records.js';
import type { DecisionLog } from './decisions.js';
import { effectiveRate } from './unmount-order.js';
import { medianSizeFactor } from './size-factor.js';

type Rec = Record<string, unknown>;

export interface Explained {
  key: string;
  updatedAt: string;
  summary: string;
  /** One line per measurement the record holds. */
  measurements: string[];
  decisions: DecisionLog['decisions'];
  decisionsTotal: number;
}

/** Normalizes KEY ("unmount-strategies/proc" or the full key) or says why it is not a pattern key. */
export function patternKey(input: string): { key: string; prefix: boolean } | { error: string } {
  const key = input.startsWith('optimization/') ? input : `optimization/${input}`;
  const parts = key.split('/');
  const pattern = parts[1] ?? '';
  const known = `optimization/<${Object.keys(PATTERNS).join('|')}>[/<subject>] or optimization/<${SUMMARIES.join('|')}>`;
  if (parts.some((p) => p === '') || /\s/.test(key)) return { error: `"${input}" is not a memory key: use ${known}` };
  if ((SUMMARIES as readonly string[]).includes(pattern)) {
    return parts.length === 2
      ? { key, prefix: false }
      : { error: `${pattern} is a summary with no subject: use ${`optimization/${pattern}`}` };
  }
  if (pattern in PATTERNS) return { key, prefix: parts.length === 2 };
  return { error: `unknown pattern "${pattern}": use ${known}` };
}

const pct = (x: number | null | undefined): string =>
  x === null || x === undefined ? '?' : `${Math.round(x * 100)} %`;

function strategyLines(strategies: Rec, now: number, indent = ''): string[] {
  return Object.entries(strategies as Record<string, Rec>).map(([name, s]) => {
    const rate = effectiveRate(s as never, now);
    const avg = typeof s.avgMs === 'number' ? s.avgMs : Number(s.totalMs) / Math.max(1, Number(s.attempts));
    return `${indent}${name}: ${s.successes}/${s.attempts} succeeded, recent success rate ${pct(rate)}, avg ${formatDuration(avg)}${
      typeof s.lastAt === 'string' ? `, last ${s.lastOk ? 'ok' : 'failed'} at ${s.lastAt}` : ''
    }${typeof s.idle === 'number' && s.idle > 0 ? `, not tried for ${s.idle} attempts` : ''}`;
  });
}

function describePattern(kind: string, key: string, v: Rec, now: number): { summary: string; measurements: string[] } {
  switch (kind) {
    case 'unmount-strategies': {
      const m = strategyLines((v.strategies ?? {}) as Rec, now);
      for (const [src, x] of Object.entries((v.bySource ?? {}) as Record<string, Rec>)) {
        m.push(`from source ${src}:`, ...strategyLines((x.strategies ?? {}) as Rec, now, '  '));
      }
      if (v.lastError) m.push(`last error: ${String(v.lastError)}`);
      return { summary: `how ${String(v.fsType)} mounts were unmounted, per strategy`, measurements: m };
    }
    case 'cleanup-success': {
      const m = [
        `${v.successes}/${v.runs} cleans done, ${v.refusals} refused, ${v.failures} failed; ${formatBytes(Number(v.bytesFreed))} freed in all`,
      ];
      for (const r of (Array.isArray(v.recent) ? v.recent : []) as Rec[]) {
        m.push(
          `${String(r.at)}: ${String(r.status)}, ${formatBytes(Number(r.bytesFreed))} in ${formatDuration(Number(r.durationMs))}${
            typeof r.threads === 'number' ? ` with ${r.threads} threads` : ''
          }`,
        );
      }
      return { summary: `cleanups of ${String(v.target)}`, measurements: m };
    }
    case 'caching-effectiveness': {
      const m = [
        `hit rate ${pct(Number(v.hitRate))}: ${v.hits} hits, ${v.misses} misses over ${v.builds} builds`,
        `${formatBytes(Number(v.bytesSaved))} not downloaded again`,
      ];
      if (typeof v.sizeBytes === 'number')
        m.push(`size ${formatBytes(v.sizeBytes)} of a ${formatBytes(Number(v.limitBytes))} limit`);
      return { summary: `use of cache ${String(v.cache)}`, measurements: m };
    }
    case 'parallel-config':
      return parallelConfig(key, v);
    default: {
      const m = Object.entries((v.totals ?? {}) as Record<string, number>).map(([k, n]) => `${k}: ${n}`);
      const entries = (Array.isArray(v.entries) ? v.entries : []) as Rec[];
      for (const e of entries.slice(-5)) {
        const { at, ...rest } = e;
        m.push(`${String(at)}: ${JSON.stringify(rest).slice(0, 240)}`);
      }
      return { summary: `${kind}: totals and the ${entries.length} most recent entries`, measurements: m };
    }
  }
}

function parallelConfig(key: string, v: Rec): { summary: string; measurements: string[] } {
  const m: string[] = [];
  if (Array.isArray(v.pairs)) {
    const sizes: Record<string, number[]> = {};
    for (const p of v.pairs as Rec[]) {
      const r = Number(p.measuredMs) / Math.max(1, Number(p.predictedMs));
      const pb = Number(p.predictedBytes);
      const sr = pb > 0 && Number(p.measuredBytes) > 0 ? Number(p.measuredBytes) / pb : null;
      if (sr !== null) (sizes[String(p.comp)] ??= []).push(sr);
      m.push(
        `${String(p.at)} ${String(p.label)}: predicted ${formatDuration(Number(p.predictedMs))}, measured ${formatDuration(Number(p.measuredMs))} (x${r.toFixed(2)}` +
          (sr === null
            ? ''
            : `; image predicted ${formatBytes(pb)}, measured ${formatBytes(Number(p.measuredBytes))}, x${sr.toFixed(3)}`) +
          `, ${String(p.source)})`,
      );
    }
    // The size factor the next choice uses per compressor (size-calibration.ts: median, clamped).
    const factors = Object.entries(sizes).map(
      ([comp, rs]) => `${comp} x${(medianSizeFactor(rs) ?? 1).toFixed(3)} (${rs.length} pairs)`,
    );
    if (factors.length)
      m.unshift(`image size factor per compressor (median measured/predicted): ${factors.join(', ')}`);
    return {
      summary: `time and size calibration of host ${String(v.fingerprintId)}: ${v.pairs.length} measured-vs-predicted pairs`,
      measurements: m,
    };
  }
  const c = (v.choice ?? {}) as Rec;
  for (const x of (Array.isArray(v.candidates) ? v.candidates : []) as Rec[]) {
    const p = (x.predicted ?? {}) as Rec;
    m.push(
      `${String(x.label)}: ${formatDuration(Number(x.wallMs))} on ${formatBytes(Number(x.sampleBytes))} sampled -> predicted ${formatDuration(Number(p.buildMs))}, ${formatBytes(Number(p.imageBytes))}`,
    );
  }
  return {
    summary: `tuning of ${key.split('/').slice(2).join('/')}: chose ${typeof c.label === 'string' ? c.label : JSON.stringify(c)} (${typeof c.reason === 'string' ? c.reason : 'no reason stored'}), measured ${String(v.measuredAt)}`,
    measurements: m,
  };
}

export function explainEntry(
  key: string,
  value: unknown,
  updatedAt: string,
  decisions: DecisionLog | undefined,
  now = Date.now(),
): Explained {
  const d = describePattern(key.split('/')[1] ?? '', key, (value ?? {}) as Rec, now);
  return {
    key,
    updatedAt,
    ...d,
    decisions: decisions?.decisions ?? [],
    decisionsTotal: decisions?.total ?? 0,
  };
}

export function formatExplained(e: Explained): string[] {
  const out = [`${e.key}  (updated ${e.updatedAt})`, `  ${e.summary}`, '  measurements:'];
  out.push(...(e.measurements.length ? e.measurements.map((m) => `    ${m}`) : ['    none stored']));
  if (!e.decisions.length) out.push('  decisions it changed: none yet (the defaults were used)');
  else {
    out.push(`  decisions it changed (last ${e.decisions.length} of ${e.decisionsTotal}):`);
    for (const d of e.decisions) {
      out.push(`    ${d.at} ${d.by}: ${d.decision}${d.default ? ` (default: ${d.default})` : ''}`);
      out.push(`      evidence: ${JSON.stringify(d.evidence).slice(0, 400)}`);
    }
  }
  return out;
}
