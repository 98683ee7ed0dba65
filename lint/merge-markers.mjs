// A merge-conflict marker inside a template string compiles and ships (it once reached every HTML
// report), so lint looks for the markers in every tracked text file, not only where tsc reads.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard'], { encoding: 'utf8' })
  .split('\n')
  .filter((f) => f && !f.includes('/page/vendor/') && !/\.(png|jpg|gz|zst|img|iso)$/.test(f));
const marker = /^(<{7}|>{7}) |^\|{7} /m;
const bad = [];
for (const f of files) {
  let text;
  try {
    text = readFileSync(f, 'utf8');
  } catch {
    continue; // listed but deleted in the work tree
  }
  const m = marker.exec(text);
  if (m) bad.push(`${f}:${text.slice(0, m.index).split('\n').length}`);
}
if (bad.length) {
  process.stderr.write(`Merge-conflict markers left in:\n${bad.join('\n')}\n`);
  process.exit(1);
}
