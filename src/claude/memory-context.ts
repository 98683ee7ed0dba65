// What the memory knows that matters to a coding session here, as a few short lines for Claude Code's
// additionalContext: each line names its evidence count so the agent can weigh it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAtOrUnder } from '../host/fs/paths.js';
import type { StatePaths } from '../host/system/state-dir.js';
import { importDist } from '../package-root.js';

type Rec = Record<string, unknown>;
export interface Entry {
  key: string;
  value: unknown;
}

const pct = (x: number): string => `${(x * 100).toFixed(0)} %`;
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** One line per learned pattern, most relevant to `cwd` first; each ends with its evidence count. */
export function patternLines(entries: Entry[], cwd: string | null): { line: string; weight: number }[] {
  const out: { line: string; weight: number }[] = [];
  for (const e of entries) {
    const v = (e.value ?? {}) as Rec;
    const kind = e.key.split('/')[1];
    if (kind === 'parallel-config') {
      const c = (v.choice ?? {}) as Rec;
      const n = Array.isArray(v.candidates) ? v.candidates.length : 0;
      const label = typeof c.label === 'string' ? c.label : JSON.stringify(c).slice(0, 120);
      const opts = typeof c.mksquashfsOpts === 'string' ? ` (MKSQUASHFS_OPTS="${c.mksquashfsOpts}")` : '';
      const why = typeof c.reason === 'string' ? `: ${c.reason.slice(0, 160)}` : '';
      out.push({
        line: `Tuned compressor on this host: ${label}${opts}${why} (evidence: ${n} measured candidates, ${String(v.measuredAt ?? '')})`,
        weight: 3,
      });
    } else if (kind === 'unmount-strategies') {
      const s = Object.entries((v.strategies ?? {}) as Record<string, Rec>).sort(
        (a, b) => num(b[1].successes) - num(a[1].successes),
      )[0];
      if (!s) continue;
      const attempts = Object.values((v.strategies ?? {}) as Record<string, Rec>).reduce(
        (a, x) => a + num(x.attempts),
        0,
      );
      out.push({
        line: `Unmounting ${String(v.fsType)}: ${s[0]} worked ${num(s[1].successes)}/${num(s[1].attempts)} (evidence: ${attempts} attempts)`,
        weight: 2,
      });
    } else if (kind === 'cleanup-success') {
      const near =
        cwd !== null && typeof v.target === 'string' && (isAtOrUnder(v.target, cwd) || isAtOrUnder(cwd, v.target));
      out.push({
        line: `Cleanup of ${String(v.target)}: ${num(v.successes)}/${num(v.runs)} done, ${num(v.refusals)} refused, last ${String(v.lastStatus)} (evidence: ${num(v.runs)} runs)`,
        weight: near ? 5 : 1,
      });
    } else if (kind === 'caching-effectiveness') {
      out.push({
        line: `Cache ${String(v.cache)}: hit rate ${pct(num(v.hitRate))} (evidence: ${num(v.builds)} builds, ${num(v.hits)} hits)`,
        weight: 2,
      });
    } else if (kind === 'resource-management') {
      const entriesArr = Array.isArray(v.entries) ? (v.entries as Rec[]) : [];
      const last = new Map<string, Rec>();
      for (const x of entriesArr)
        if (typeof x.metric === 'string') last.set(`${x.metric}:${String(x.subject ?? '')}`, x);
      for (const x of last.values()) {
        if (x.event === 'alert')
          out.push({
            line: `Active alert: ${String(x.metric)} ${String(x.subject ?? '')} at ${String(x.value)} (threshold ${String(x.threshold)}) (evidence: ${entriesArr.length} events)`,
            weight: 6,
          });
      }
    }
  }
  return out;
}

/** The last runs whose chroot or command is in this directory, read raw (no zod on the hook path). */
export function runLines(runsDir: string, cwd: string | null, max = 3): { line: string; weight: number }[] {
  if (cwd === null || !existsSync(runsDir)) return [];
  const runs: Rec[] = [];
  for (const name of readdirSync(runsDir).filter((n) => n.endsWith('.json'))) {
    try {
      runs.push(JSON.parse(readFileSync(join(runsDir, name), 'utf8')) as Rec);
    } catch {
      /* a run being written, or a bad file: not context */
    }
  }
  const here = runs.filter(
    (r) =>
      (typeof r.chroot === 'string' && (isAtOrUnder(r.chroot, cwd) || isAtOrUnder(cwd, r.chroot))) ||
      (typeof r.cwd === 'string' && r.cwd === cwd),
  );
  const sorted = here.sort((a, b) => String(b.startedAt).localeCompare(String(a.startedAt))).slice(0, max);
  return sorted.map((r) => {
    const secs =
      r.endedAt && r.startedAt ? (Date.parse(String(r.endedAt)) - Date.parse(String(r.startedAt))) / 1000 : null;
    return {
      line: `Build run ${String(r.runId)} (${String(r.name)}): exit ${String(r.exitCode)}${secs !== null ? `, ${secs.toFixed(0)} s` : ''}, ${String(r.startedAt)} (evidence: 1 run record)`,
      weight: 4,
    };
  });
}

/** Joins the best lines within a word budget. */
export function boundedContext(lines: { line: string; weight: number }[], maxWords: number): string {
  const out: string[] = [
    'isoswarm memory (learned on this host; use `isoswarm cleanup`/`isoswarm unmount` for chroot teardown, never a recursive delete across mounts):',
  ];
  let words = out[0]!.split(/\s+/).length;
  for (const l of [...lines].sort((a, b) => b.weight - a.weight)) {
    const w = l.line.split(/\s+/).length;
    if (words + w > maxWords) break;
    out.push(`- ${l.line}`);
    words += w;
  }
  return out.length > 1 ? out.join('\n') : '';
}

/** additionalContext for a session in `cwd`, or '' when nothing has been learned. */
export async function memoryContext(
  paths: StatePaths,
  mapSizeBytes: number,
  cwd: string | null,
  maxWords: number,
): Promise<string> {
  const lines = runLines(paths.runs, cwd);
  if (existsSync(join(paths.memory, 'data.mdb'))) {
    const { MemoryStore } = await importDist<typeof import('../memory/store.js')>('src', 'memory', 'store.js');
    const store = MemoryStore.open(paths.memory, { mapSizeBytes, readOnly: true });
    try {
      lines.push(...patternLines([...store.range('optimization/')].slice(0, 200), cwd));
    } finally {
      await store.close();
    }
  }
  return boundedContext(lines, maxWords);
}
