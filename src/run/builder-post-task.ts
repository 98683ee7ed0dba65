// Post-task for a recognised builder, before the chroot is taken apart: the builder a shim saw
// (debootstrap, mmdebstrap) when the command line did not name it, the stage timeline from
// `phase` marks plus the builder's own stage lines, and live-build's caches counted (hits, misses,
// sizes) into the record and optimization/caching-effectiveness/live-build-*.
import { join } from 'node:path';
import { liveBuildCacheUse, installedInChroot, snapshotLiveBuildCache } from '../builders/live-build-cache.js';
import { liveBuildMarks } from '../builders/live-build-stages.js';
import type { RunRecordInput } from '../schemas/run-record.js';
import { buildStages } from './build-stages.js';
import { readBuilderState } from './builder-state.js';
import { readBuildOutput } from './stage-marks.js';
import { readToolsSeen } from './tools-seen.js';
import type { CoordinatorCall } from './teardown-then-clean.js';

export async function builderPostTask(
  call: CoordinatorCall,
  dir: string,
  record: RunRecordInput,
  chroot: string | null,
  patterns: Set<string>,
): Promise<void> {
  const state = readBuilderState(dir);
  const seen = readToolsSeen(dir)[0];
  if (seen && (!record.builder || record.builder.name === 'script')) {
    // The command line did not name the tool; the shim saw the build call it.
    const why = `the ${seen.tool} shim saw the build call it (${seen.calls} call${seen.calls > 1 ? 's' : ''})`;
    record.builder = { name: seen.tool, why, dir: record.builder?.dir ?? state?.builder.dir ?? dir };
    (record.notes ??= []).push(`builder: ${seen.tool} (recognised by ${why})`);
  }
  const lb = state?.builder.name === 'live-build';
  const marks = lb ? liveBuildMarks(`${readBuildOutput(dir)}\n${readBuildOutput(dir, 'err.log')}`) : [];
  const stages = buildStages(dir, record, marks);
  if (stages.length) record.stages = stages;
  if (!lb || !state?.cacheBefore) return;
  const root = chroot ?? join(state.builder.dir, 'chroot');
  const use = liveBuildCacheUse(state.cacheBefore, snapshotLiveBuildCache(state.builder.dir), installedInChroot(root));
  if (!use.length) return;
  record.builderCaches = use;
  await call('memory-record', { events: use.map((u) => ({ kind: 'cache-use', ...u })) });
  for (const u of use) patterns.add(`optimization/caching-effectiveness/${u.cache}`);
}
