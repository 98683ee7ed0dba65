// Looks through the wrappers a command hides behind (sudo, env, nice, timeout, xargs, bash -c, eval)
// to the program that really runs, with the directory and the input it runs with.
import { posix } from 'node:path';
import { parseCommandLine, type SimpleCommand } from './shell-parse.js';
import type { ShellWord } from './shell-words.js';

export interface Invocation {
  name: string;
  args: ShellWord[];
  cwd: string | null;
  /** Wrappers seen on the way (`sudo`, `xargs`, `bash -c`). */
  via: string[];
  /** xargs appends words read from its input: the commands that feed it. */
  xargsInput?: SimpleCommand[];
  /** Position in the script, so a judge can look at what runs after. */
  index: number;
  /** Notes on what could not be followed. */
  notes: string[];
}

interface WrapperSpec {
  /** Options that take a value as the next word. */
  withValue: RegExp;
  /** Leading NAME=value words are skipped (env). */
  assigns?: boolean;
  /** Positional words before the command (timeout DURATION). */
  positional?: number;
}

const WRAPPERS: Record<string, WrapperSpec> = {
  sudo: {
    withValue: /^-[ugCDhprtUT]$|^--(user|group|close-from|chdir|host|prompt|role|type|other-user|command-timeout)$/,
  },
  doas: { withValue: /^-[uC]$/ },
  env: { withValue: /^-[uCS]$|^--(unset|chdir|split-string)$/, assigns: true },
  nice: { withValue: /^-n$|^--adjustment$/ },
  ionice: { withValue: /^-[cnpP]$/ },
  nohup: { withValue: /^$/ },
  setsid: { withValue: /^$/ },
  stdbuf: { withValue: /^-[ioe]$/ },
  time: { withValue: /^-[fo]$/ },
  timeout: { withValue: /^-[sk]$|^--(signal|kill-after)$/, positional: 1 },
  exec: { withValue: /^-a$/ },
  command: { withValue: /^$/ },
  builtin: { withValue: /^$/ },
  xargs: {
    withValue:
      /^-[adEeIiLlnPs]$|^--(arg-file|delimiter|eof|replace|max-lines|max-args|max-procs|max-chars|process-slot-var)$/,
  },
};

const SHELLS = new Set(['bash', 'sh', 'dash', 'zsh', 'ksh', 'mksh', 'ash', 'busybox']);

function base(w: ShellWord | undefined): string | null {
  return w?.text ? posix.basename(w.text) : null;
}

/** Strips one wrapper; returns the rest of argv and a changed directory if the wrapper sets one. */
function stripWrapper(
  name: string,
  spec: WrapperSpec,
  argv: ShellWord[],
  cwd: string | null,
): { rest: ShellWord[]; cwd: string | null } {
  let i = 1;
  let dir = cwd;
  let positional = spec.positional ?? 0;
  while (i < argv.length) {
    const t = argv[i]!.text;
    if (t === null) break;
    if (t === '--') {
      i++;
      break;
    }
    if (t.startsWith('-') && t.length > 1) {
      const eq = t.indexOf('=');
      const flag = eq > 0 ? t.slice(0, eq) : t;
      const value = eq > 0 ? t.slice(eq + 1) : (argv[i + 1]?.text ?? null);
      const takes =
        spec.withValue.test(flag) ||
        (/^-[A-Za-z]+$/.test(t) && spec.withValue.test(`-${t.slice(-1)}`) && name !== 'xargs');
      if ((name === 'sudo' && /^-(D|-chdir)$/.test(flag)) || (name === 'env' && /^-(C|-chdir)$/.test(flag))) {
        dir = value === null ? null : value.startsWith('/') ? value : dir === null ? null : posix.resolve(dir, value);
      }
      i += takes && eq < 0 ? 2 : 1;
      continue;
    }
    if (spec.assigns && /^[A-Za-z_][A-Za-z0-9_]*=/.test(t)) {
      i++;
      continue;
    }
    if (name === 'nice' && /^-?\d+$/.test(t)) {
      i++;
      continue;
    }
    if (positional > 0) {
      positional--;
      i++;
      continue;
    }
    break;
  }
  return { rest: argv.slice(i), cwd: dir };
}

/** `bash -c 'STRING'`: the string is a script of its own. */
function shellScript(argv: ShellWord[]): ShellWord | null | undefined {
  for (let i = 1; i < argv.length; i++) {
    const t = argv[i]!.text;
    if (t === null) return null;
    if (t === '-c' || (/^-[a-zA-Z]+$/.test(t) && t.includes('c'))) return argv[i + 1] ?? null;
    if (t === '-o' || t === '+o') {
      i++;
      continue;
    }
    if (!t.startsWith('-') && !t.startsWith('+')) return undefined; // `bash script.sh`
  }
  return undefined;
}

export interface UnwrapOptions {
  home: string;
  depth?: number;
}

/** The programs a simple command really runs (more than one for `bash -c 'a; b'`). */
export function unwrap(cmd: SimpleCommand, opts: UnwrapOptions): Invocation[] {
  const via: string[] = [];
  const notes: string[] = [];
  let argv = cmd.argv;
  let cwd = cmd.cwd;
  let xargsInput: SimpleCommand[] | undefined;
  for (let guard = 0; guard < 16 && argv.length > 0; guard++) {
    const name = base(argv[0]);
    if (name === null) {
      notes.push(`the program name ${argv[0]!.raw} is not known before the command runs`);
      return [];
    }
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(argv[0]!.text ?? '')) {
      argv = argv.slice(1); // VAR=value before the command
      continue;
    }
    const spec = WRAPPERS[name];
    if (spec) {
      via.push(name);
      if (name === 'xargs') xargsInput = cmd.pipedFrom ?? [];
      ({ rest: argv, cwd } = stripWrapper(name, spec, argv, cwd));
      continue;
    }
    if (SHELLS.has(name) || name === 'su' || name === 'eval') {
      let script: ShellWord | null | undefined;
      if (name === 'eval')
        script = argv.slice(1).every((w) => w.text !== null)
          ? {
              text: argv
                .slice(1)
                .map((w) => w.text)
                .join(' '),
              glob: false,
              raw: '',
            }
          : null;
      else if (name === 'su')
        script = argv.find((_w, i) => argv[i - 1]?.text === '-c' || argv[i - 1]?.text === '--command') ?? undefined;
      else script = shellScript(argv);
      if (script === undefined) break; // an interactive shell or a script file: judged by name only
      if (script === null || script.text === null) {
        return [
          {
            name,
            args: argv.slice(1),
            cwd,
            via,
            index: cmd.index,
            notes: [...notes, `${name}: the script it runs is not known before it runs`],
          },
        ];
      }
      if ((opts.depth ?? 0) > 8) return [];
      const inner = parseCommandLine(script.text, { cwd, home: opts.home });
      return inner
        .flatMap((c) => unwrap({ ...c, index: cmd.index }, { ...opts, depth: (opts.depth ?? 0) + 1 }))
        .map((inv) => ({ ...inv, via: [...via, `${name} -c`, ...inv.via] }));
    }
    break;
  }
  if (argv.length === 0) return [];
  const name = base(argv[0]) ?? '';
  const out: Invocation = { name, args: argv.slice(1), cwd, via, index: cmd.index, notes };
  if (xargsInput) out.xargsInput = xargsInput;
  return [out];
}
