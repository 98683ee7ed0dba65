// The run's stage timeline, read back after the build: the marks of `phase` calls cut the build
// phase into stages, with the Monitor's samples of each.
import type { RunRecordInput, RunSample, RunStage } from '../schemas/run-record.js';
import { readPhaseMarks } from './stage-marks.js';
import { stageTimeline, type Mark } from './stage-timeline.js';

export function buildStages(dir: string, record: RunRecordInput, extra: readonly Mark[] = []): RunStage[] {
  const build = (record.phases ?? []).find((ph) => ph.name === 'build');
  if (!build) return [];
  const start = Date.parse(build.startedAt);
  const end = build.endedAt ? Date.parse(build.endedAt) : Date.now();
  const marks = [...readPhaseMarks(dir), ...extra];
  return stageTimeline(marks, start, end, (record.samples ?? []) as RunSample[]);
}
