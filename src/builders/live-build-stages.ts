// live-build's own stage lines: its `lb` front end prints `[YYYY-MM-DD HH:MM:SS] lb STAGE ARGS`
// (local time, to stdout) before each stage script runs (live-build 1:20230502). Each line becomes
// a stage mark; the umbrella commands (build, bootstrap, chroot, binary, ...) only run sub-stages
// and are left out. A repeated helper keeps its first argument (`chroot_cache restore`).
export interface BuilderMark {
  name: string;
  at: number;
  source: string;
}

const UMBRELLAS = new Set(['build', 'bootstrap', 'chroot', 'installer', 'binary', 'source']);
const VERBS = new Set(['install', 'remove', 'restore', 'save', 'upgrade']);
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
const LINE = /^\[(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})\] lb (\S+)(.*)$/;

export function liveBuildMarks(output: string): BuilderMark[] {
  const out: BuilderMark[] = [];
  for (const raw of output.split('\n')) {
    const m = LINE.exec(raw.replace(ANSI, '').trim());
    if (!m) continue;
    const stage = m[3]!;
    if (UMBRELLAS.has(stage)) continue;
    const at = new Date(`${m[1]}T${m[2]}`).getTime();
    if (!Number.isFinite(at)) continue;
    const verb = (m[4] ?? '').trim().split(/\s+/)[0] ?? '';
    out.push({ name: VERBS.has(verb) ? `${stage} ${verb}` : stage, at, source: 'live-build' });
  }
  return out;
}
