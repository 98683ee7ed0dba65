// Which builder a run's command is, and what that tells: live-build (`lb build`, or a live-build
// config tree `config/chroot` in the working directory) builds in `./chroot` and prints its own
// stages; a debootstrap or mmdebstrap script builds a root with those tools (its stages come from
// `phase` calls); anything else is a plain script with the generic behaviour.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

export type BuilderName = 'live-build' | 'debootstrap' | 'mmdebstrap' | 'script';

export interface BuilderInfo {
  name: BuilderName;
  /** The directory the builder works in (live-build: its config tree's parent). */
  dir: string;
  /** The chroot the builder uses when none was given (live-build: DIR/chroot); null when unknown. */
  chroot: string | null;
  /** How it was recognised, for the run's notes. */
  why: string;
}

const isLiveBuildTree = (dir: string): boolean => {
  try {
    return statSync(join(dir, 'config', 'chroot')).isFile();
  } catch {
    return false;
  }
};

/** The first bytes of a script given as the command, when it is a readable text file. */
function scriptText(cmd: string, cwd: string): string | null {
  const p = resolve(cwd, cmd);
  try {
    const st = statSync(p);
    if (!st.isFile() || st.size > 1 << 20) return null;
    const t = readFileSync(p, 'utf8');
    return t.includes('\u0000') ? null : t;
  } catch {
    return null;
  }
}

export function detectBuilder(command: readonly string[], cwd: string): BuilderInfo {
  const [cmd = '', ...args] = command;
  const tool = basename(cmd);
  const plain: BuilderInfo = { name: 'script', dir: cwd, chroot: null, why: 'a plain command' };
  if (tool === 'lb' && args.find((a) => !a.startsWith('-')) === 'build')
    return { name: 'live-build', dir: cwd, chroot: join(cwd, 'chroot'), why: '`lb build`' };
  if (isLiveBuildTree(cwd))
    return {
      name: 'live-build',
      dir: cwd,
      chroot: join(cwd, 'chroot'),
      why: 'a live-build config tree (config/chroot) in the working directory',
    };
  if (tool === 'debootstrap' || tool === 'mmdebstrap') {
    const target = args.filter((a) => !a.startsWith('-'))[1];
    return { name: tool, dir: cwd, chroot: target ? resolve(cwd, target) : null, why: `\`${tool}\`` };
  }
  const text = existsSync(resolve(cwd, cmd)) ? scriptText(cmd, cwd) : null;
  if (text) {
    // A script that calls the tool (not one that only mentions it in a comment).
    const calls = (t: string) =>
      text.split('\n').some((l) => !/^\s*#/.test(l) && new RegExp(`(^|[\\s;&|({\`$])${t}(\\s|$)`).test(l));
    if (calls('mmdebstrap')) return { ...plain, name: 'mmdebstrap', why: 'a script that runs mmdebstrap' };
    if (calls('debootstrap')) return { ...plain, name: 'debootstrap', why: 'a script that runs debootstrap' };
    if (/(^|\s)lb\s+build(\s|$)/m.test(text) && isLiveBuildTree(cwd))
      return { name: 'live-build', dir: cwd, chroot: join(cwd, 'chroot'), why: 'a script that runs `lb build`' };
  }
  return plain;
}
