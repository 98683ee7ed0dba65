// Printing results: JSON for --json (and machines), text for people.
export function printJson(v: unknown): void {
  process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
}

export function printLine(s = ''): void {
  process.stdout.write(`${s}\n`);
}

export function warn(s: string): void {
  process.stderr.write(`isoswarm: ${s}\n`);
}

export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

export { formatBytes, formatDuration } from '../text/units.js';
