// Post-task: what happens after the build, whoever does it — the CLI that ran it, or a coordinator
// that took over a run whose runner was lost. Monitor samples, cache detach, kernel settings restored,
// processes and mounts of the chroot torn down, the chroot cleaned by policy, lessons recorded.
import { existsSync } from 'node:fs';
import { buildHookEvent } from '../hook-runtime/build-event.js';
import { pathKey } from '../memory/keys.js';
import type { RunRecordInput } from '../schemas/run-record.js';
import { compareRuns, formatComparison } from '../learning/run-compare.js';
import { bareWhatIf, formatWhatIf, withWhatIf } from '../learning/bare-what-if.js';
import { runFacts, runFailureLessons } from './run-lessons.js';
import { teardownThenClean, type CoordinatorCall } from './teardown-then-clean.js';
import { builderPostTask } from './builder-post-task.js';
import { checkAfterTeardown, measureBeforeTeardown } from './tmpfs-workdir.js';
import { markPreMounts, preMountNotes } from '../report/pre-mounts.js';
import { aptOverlayLeft } from './apt-overlay-left.js';

export type Call = CoordinatorCall;

export interface PostTaskInput {
  runId: string;
  name: string;
  chroot: string | null;
  keepOnFailure: boolean;
  /** Keep the chroot whatever the outcome (unmounted, its processes ended); the reason is said in the summary. */
  keep?: { reason: string } | null;
  aptCache: boolean;
  systemApplied: boolean;
  /** The run's registry dir: the build's stage marks and output are read from it. */
  dir?: string | null;
  record: RunRecordInput;
  /** Memory keys updated; filled in here. */
  patterns: Set<string>;
}

export async function postTask(call: Call, p: PostTaskInput): Promise<void> {
  const { record, patterns, chroot } = p;
  const notes = (record.notes ??= []);
  const soft = async <T>(what: string, fn: () => Promise<T>): Promise<T | null> => {
    try {
      return await fn();
    } catch (e) {
      notes.push(`${what}: ${(e as Error).message}`);
      return null;
    }
  };
  const samples = await soft('monitor samples', () =>
    call<{ samples: unknown[]; events: unknown[] }>('monitor-samples', { runId: p.runId, stop: true }),
  );
  if (samples) {
    record.samples = samples.samples as RunRecordInput['samples'];
    record.events = samples.events as RunRecordInput['events'];
  }
  if (p.dir) {
    const dir = p.dir;
    await soft('stages and builder caches', async () => {
      await builderPostTask(call, dir, record, chroot, patterns);
    });
  }
  const failed = record.exitCode !== 0;
  // What the mksquashfs shim saw and ran during the build (asked vs ran, predicted vs measured).
  const sq = await soft('mksquashfs calls', () => call<{ calls: unknown[] }>('squashfs-calls', { runId: p.runId }));
  if (sq?.calls.length) record.squashfsCalls = sq.calls as RunRecordInput['squashfsCalls'];
  // What the debootstrap shim did: each root restored from the cache, bootstrapped and kept, or not cacheable.
  const roots = await soft('debootstrap root cache', () =>
    call<{ lookups: unknown[] }>('root-calls', { runId: p.runId }),
  );
  if (roots?.lookups.length) {
    record.rootCache = roots.lookups as RunRecordInput['rootCache'];
    patterns.add('optimization/caching-effectiveness/debootstrap-roots');
  }
  let cacheDetachError: string | null = null;
  type Detach = {
    stats: Record<string, unknown>;
    sessionEnded?: boolean;
    endedEarlier?: { at: string; reason: string };
  };
  /** The last detach had no answer (a timeout): it may still end the session, in the tuner's turn. */
  let unanswered = false;
  const detachCache = async (what: string): Promise<Detach | null> => {
    const d = await soft(what, () =>
      call<Detach>('cache-detach', { chroot, runId: p.runId }).catch(async (e: Error) => {
        const notFound = (e as { code?: string }).code === 'not-found';
        unanswered = !notFound;
        // No session there (never attached): nothing of the cache is left mounted, not a failed detach;
        // unless our overlay still is (a tuner started again that could not take it back says so too).
        const left = notFound && chroot ? await aptOverlayLeft(chroot).catch(() => null) : null;
        cacheDetachError = !notFound ? e.message : left ? `${e.message}; its overlay is still mounted (${left})` : null;
        throw e;
      }),
    );
    if (d?.endedEarlier)
      notes.push(
        `the apt cache session had ended at ${d.endedEarlier.at}: ${d.endedEarlier.reason}; its use as counted then`,
      );
    if (d) {
      cacheDetachError = null;
      record.cache = d.stats as RunRecordInput['cache'];
      patterns.add('optimization/caching-effectiveness/apt-archives');
    }
    return d;
  };
  // A detach refused while the build's mounts sat on the cache's (or on an unmount that failed), or
  // with no answer: asked again once the teardown took them, so that the tuner lets go of the cache
  // (one that ended it meanwhile is answered with what it counted).
  let detachAgain = false;
  if (p.aptCache && chroot) {
    const first = await detachCache('apt cache detach');
    detachAgain = first ? first.sessionEnded === false : unanswered;
  }
  if (p.systemApplied) {
    const rb = await soft('system rollback', () =>
      call<{ rollback: { restored: string[]; mismatched: unknown[] } }>('system', { action: 'rollback' }),
    );
    if (rb) record.systemRollback = rb.rollback;
  }
  if (chroot && !existsSync(chroot))
    notes.push(`${chroot} does not exist (the build never created it): nothing to take apart`);
  else if (chroot) {
    // Processes and mounts go whatever happened; the tree is deleted unless kept (kept unmounted).
    const keep = !!p.keep || (failed && p.keepOnFailure);
    type Td = { result: NonNullable<RunRecordInput['teardown']> | null };
    type Cl = { result: NonNullable<RunRecordInput['clean']> | null };
    // The run's own tmpfs at the chroot goes with the teardown, last; what the tree took on it is measured first.
    // (mountId may be unset: a CLI killed between the mount and its second registry write.)
    const tmpfs = record.tmpfs ?? null;
    if (tmpfs) await soft('tmpfs measure', () => measureBeforeTeardown(tmpfs));
    const out = await teardownThenClean<Td, Cl>(call, [{ path: chroot, kind: 'tree' }], { clean: !keep, guard: soft });
    if (tmpfs) notes.push(await checkAfterTeardown(tmpfs));
    const td = out.teardowns[chroot];
    record.teardown = td?.result ?? null;
    if (detachAgain) {
      const again = await detachCache('apt cache detach after the teardown');
      if (again?.sessionEnded === false)
        cacheDetachError = 'the apt cache overlay is still mounted after the teardown: the tuner keeps it held';
    }
    // The teardown takes a user's own mounts from before the run too: the notes say which those were.
    notes.push(...preMountNotes(markPreMounts(record.checkpoint, record.teardown)));
    for (const a of (td?.result?.attempts ?? []) as { fsType: string }[])
      patterns.add(`optimization/unmount-strategies/${a.fsType}`);
    if (td?.result) patterns.add('optimization/cleanup-procedures');
    if (td?.result && td.result.status !== 'done') patterns.add('optimization/error-prevention');
    if (keep) {
      const why = p.keep?.reason ?? '--keep-on-failure: kept for inspection';
      const status = td?.result?.status ?? 'no result';
      record.kept = { path: chroot, reason: why, teardown: status };
      notes.push(
        status === 'done'
          ? `${why}: ${chroot} is kept (unmounted, its processes ended)`
          : `${why}: ${chroot} is kept, but its teardown did not finish (${td?.result?.reason ?? status})`,
      );
    } else if (td?.result?.status === 'done') {
      record.clean = out.clean?.result ?? null;
      if (out.clean?.result) patterns.add(`optimization/cleanup-success/${pathKey(chroot)}`);
    } else notes.push(`${chroot} was not deleted: the teardown did not finish (${td?.result?.reason ?? 'no result'})`);
  }
  const ev = buildHookEvent('post-task', { taskId: p.runId }, '');
  await soft('post-task hook', () => call('hook', { event: ev }));
  record.endedAt = new Date().toISOString();
  const durationMs = Date.parse(record.endedAt) - Date.parse(record.startedAt);
  const buildPhase = (record.phases ?? []).find((ph) => ph.name === 'build');
  const facts = runFacts(p.runId, p.name, record, durationMs);
  const earlier = await soft('earlier runs', () =>
    call<{ value: { entries?: unknown[] } }>('memory-get', { key: 'optimization/performance-improvements' }).catch(
      () => ({ value: { entries: [] } }),
    ),
  );
  const whatIf = bareWhatIf(record.squashfsCalls);
  const comparison = withWhatIf(compareRuns(facts, earlier?.value.entries ?? []), whatIf, durationMs);
  if (comparison) {
    record.comparison = comparison;
    notes.push(...formatComparison(comparison, p.name), ...(whatIf ? formatWhatIf(whatIf) : []));
  }
  await soft('performance record', () =>
    call('memory-record', {
      events: [
        {
          kind: 'summary',
          name: 'performance-improvements',
          entry: {
            runId: p.runId,
            name: p.name,
            exitCode: record.exitCode,
            durationMs,
            buildMs: buildPhase?.endedAt ? Date.parse(buildPhase.endedAt) - Date.parse(buildPhase.startedAt) : null,
            tuning: record.tuning?.applied ?? null,
            phases: facts.phases,
            cacheHits: facts.cacheHits,
            tuningChoice: facts.tuning,
            compressor: facts.compressor,
            chrootBytes: chrootBytes(record, chroot),
          },
          counts: { runs: 1, [record.exitCode === 0 ? 'succeeded' : 'failed']: 1 },
        },
        ...runFailureLessons(record, p.name, chroot, cacheDetachError),
      ],
    }),
  );
  patterns.add('optimization/performance-improvements');
}

/** The chroot's size at the end of this run (the next `--tmpfs-workdir` run sizes from it): on its tmpfs, else as deleted. */
function chrootBytes(record: RunRecordInput, chroot: string | null): number | null {
  if (record.tmpfs?.usedBytes) return record.tmpfs.usedBytes;
  const t = record.clean?.targets?.find((x) => x.path === chroot && x.status === 'done');
  return t?.deleted?.bytes || null;
}
