// The run report's stage timeline in Markdown: the build's stages with duration, CPU and I/O.
import type { RunStage } from '../schemas/run-record.js';
import { epoch } from './format.js';
import { STAGE_HEAD, stageCells, stageRow, stageSources } from './stage-cells.js';

export function stagesMd(
  stages: readonly RunStage[] | undefined,
  text: (v: unknown) => string,
  table: (head: string[], rows: string[][], right: number[]) => string,
): string[] {
  if (!stages?.length) return [];
  const t0 = epoch(stages[0]!.startedAt) ?? 0;
  const rows = stages.map((st) => stageRow(stageCells(st, t0)).map((c, i) => (i === 0 ? text(c) : c)));
  return [
    '## Build stages',
    '',
    `${stages.length} stage(s), from ${stageSources(stages).replace(/`/g, '')}; CPU and I/O from the Monitor's samples during each.`,
    '',
    table(STAGE_HEAD, rows, [2, 3, 4, 5, 6]),
    '',
  ];
}
