// House rule: no source, test or bench file over 250 lines unless its first line says why
// ("// Over 250 lines on purpose: ..."). Long files hide more than one concern.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const LIMIT = 250;
const files = execFileSync(
  'git',
  ['ls-files', '-co', '--exclude-standard', 'src', 'agents', 'hooks', 'test', 'bench', 'lint'],
  {
    encoding: 'utf8',
  },
)
  .split('\n')
  .filter((f) => /\.(ts|cts|mts|js|mjs)$/.test(f) && !f.includes('/page/vendor/'));
const bad = [];
for (const f of files) {
  let text;
  try {
    text = readFileSync(f, 'utf8');
  } catch {
    continue; // listed but deleted in the work tree
  }
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > LIMIT && !text.startsWith('// Over 250 lines on purpose:')) bad.push(`${f}: ${lines} lines`);
}
if (bad.length) {
  process.stderr.write(
    `Files over ${LIMIT} lines without a reason on their first line ("// Over 250 lines on purpose: ..."):\n${bad.join('\n')}\n`,
  );
  process.exit(1);
}
