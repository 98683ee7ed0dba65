// What a run teaches error-prevention: a disk that filled during the build (with how much the build
// used on it), an apt cache mount that could not be detached. The next run's pre-flight reads them.
import { isAtOrUnder } from '../host/fs/paths.js';
import type { RunFacts } from '../learning/run-compare.js';
import type { LearningEvent } from '../schemas/memory-ops.js';
import type { RunRecordInput } from '../schemas/run-record.js';

interface Ev {
  kind: string;
  metric: string;
  subject: string;
  value: number;
  threshold: number;
}
interface Sample {
  disks?: { path: string; freeBytes: number }[];
}

/** Bytes the disk at `path` lost from `before` (or its first sample) to its lowest point. */
function grewOn(samples: Sample[], path: string, before: number | null): number {
  const free = samples.flatMap((s) => (s.disks ?? []).filter((d) => d.path === path).map((d) => d.freeBytes));
  return free.length ? Math.max(0, (before ?? free[0]!) - Math.min(...free)) : 0;
}

export function runFailureLessons(
  record: RunRecordInput,
  name: string,
  chroot: string | null,
  cacheDetachError: string | null,
): LearningEvent[] {
  const out: LearningEvent[] = [];
  const events = (record.events ?? []) as unknown as Ev[];
  const samples = (record.samples ?? []) as unknown as Sample[];
  const seen = new Set<string>();
  for (const e of events) {
    if (e.kind !== 'alert' || e.metric !== 'disk' || seen.has(e.subject)) continue;
    seen.add(e.subject);
    out.push({
      kind: 'summary',
      name: 'error-prevention',
      entry: {
        action: 'build',
        failure: 'disk-filled',
        name,
        runId: record.runId,
        path: e.subject,
        usedPct: e.value,
        threshold: e.threshold,
        // The checkpoint's free bytes (taken before the build) are of the chroot's file system: the
        // baseline when the alert is about that disk. The first sample can come after the build filled it.
        grewBytes: grewOn(
          samples,
          e.subject,
          // Not with --tmpfs-workdir: the tmpfs is mounted on the chroot after the checkpoint.
          !record.tmpfs && ((chroot && isAtOrUnder(e.subject, chroot)) || e.subject === record.checkpoint?.fsMount)
            ? (record.checkpoint?.freeBytes ?? null)
            : null,
        ),
      },
      counts: { 'build-disk-filled': 1 },
    });
  }
  if (cacheDetachError && chroot)
    out.push({
      kind: 'summary',
      name: 'error-prevention',
      entry: { action: 'cache-detach', chroot, reason: cacheDetachError.slice(0, 300) },
      counts: { 'cache-detach-failed': 1 },
    });
  return out;
}

/** What the comparison with earlier runs of the name looks at (stored with the run's summary). */
export function runFacts(runId: string, name: string, record: RunRecordInput, durationMs: number): RunFacts {
  const phases: Record<string, number> = {};
  for (const ph of record.phases ?? [])
    if (ph.endedAt && ph.status !== 'running') phases[ph.name] = Date.parse(ph.endedAt) - Date.parse(ph.startedAt);
  const choice = record.tuning?.choice as { label?: unknown } | undefined;
  const calls = (record.squashfsCalls ?? []) as unknown as { ran?: string[] }[];
  const ran = calls.at(-1)?.ran ?? [];
  const comp = ran.indexOf('-comp');
  return {
    runId,
    name,
    durationMs,
    phases,
    cacheHits: typeof record.cache?.hits === 'number' ? record.cache.hits : null,
    tuning: typeof choice?.label === 'string' ? choice.label : null,
    compressor: comp >= 0 ? (ran[comp + 1] ?? null) : calls.length ? 'gzip' : null,
    exitCode: record.exitCode ?? null,
  };
}
