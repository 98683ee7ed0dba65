// isoswarm patterns explain KEY: a record, the measurements behind it and the decisions it changed.
import type { CliContext } from '../context.js';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';
import { decisionsKey, type DecisionLog } from '../../learning/decisions.js';
import { explainEntry, formatExplained, patternKey, type Explained } from '../../learning/explain.js';

export async function explainPatterns(ctx: CliContext, input: string, json: boolean): Promise<void> {
  const k = patternKey(input);
  if ('error' in k) throw new CliError(k.error, EXIT.usage);
  const { openReader } = await import('../memory-access.js');
  const ops = await openReader(ctx);
  const entries = (ops?.list(k.prefix ? `${k.key}/` : k.key) ?? []).filter(
    (e) => k.prefix || e.key === k.key || e.key.startsWith(`${k.key}/`),
  );
  if (!entries.length) throw new CliError(`nothing stored under ${k.key} yet`, EXIT.failed);
  // A key with records below it (a host's tune records and its time calibration) explains them all.
  const out: Explained[] = entries.map((e) =>
    explainEntry(e.key, e.value, e.updatedAt, ops?.get(decisionsKey(e.key))?.value as DecisionLog | undefined),
  );
  if (json) {
    printJson({ key: k.key, records: out });
    return;
  }
  out.forEach((x, i) => {
    if (i > 0) printLine();
    for (const line of formatExplained(x)) printLine(line);
  });
}
