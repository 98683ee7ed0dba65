// What the guard answers: allow or deny, why, and the isoswarm command that does the job safely.
import type { HostView } from './host-view.js';
import type { Invocation } from './unwrap.js';

export interface Finding {
  /** The program as the guard understood it, e.g. "sudo rm -rf /mnt/ailinux". */
  command: string;
  decision: 'allow' | 'deny';
  reason: string;
  /** The isoswarm command (or safe form) to use instead. */
  safe?: string;
}

export interface GuardVerdict {
  decision: 'allow' | 'deny';
  /** One line per denied command. */
  reasons: string[];
  safeCommands: string[];
  /** What the guard could not judge (and therefore allowed). */
  notes: string[];
  findings: Finding[];
  /** Whether the shell parser was needed (commands without any judged program skip it). */
  parsed: boolean;
}

export interface JudgeContext {
  host: HostView;
  /** Every program of the command line, in order (a judge may look at what runs after). */
  all: Invocation[];
  /** Processes a name match must not count (the caller's shell). */
  exclude: number[];
}

export type Judge = (inv: Invocation, ctx: JudgeContext) => Promise<Finding[]>;

export function shown(inv: Invocation): string {
  const words = [...inv.via.filter((v) => !v.endsWith(' -c')), inv.name, ...inv.args.map((a) => a.raw)];
  const s = words.join(' ');
  return s.length > 160 ? `${s.slice(0, 157)}...` : s;
}

/** Splits short option clusters (-rf -> r, f) and long options, stopping at `--`. */
export function options(
  inv: Invocation,
  withValue: RegExp = /^$/,
): { flags: Set<string>; operands: Invocation['args']; values: Map<string, string> } {
  const flags = new Set<string>();
  const values = new Map<string, string>();
  const operands: Invocation['args'] = [];
  let done = false;
  for (let i = 0; i < inv.args.length; i++) {
    const a = inv.args[i]!;
    const t = a.text;
    if (done || t === null || t === '-' || !t.startsWith('-')) {
      operands.push(a);
      continue;
    }
    if (t === '--') {
      done = true;
      continue;
    }
    if (t.startsWith('--')) {
      const eq = t.indexOf('=');
      const name = eq > 0 ? t.slice(0, eq) : t;
      flags.add(name);
      if (eq > 0) values.set(name, t.slice(eq + 1));
      else if (withValue.test(name)) values.set(name, inv.args[++i]?.text ?? '');
      continue;
    }
    for (let j = 1; j < t.length; j++) {
      const f = `-${t[j]}`;
      flags.add(f);
      if (withValue.test(f)) {
        values.set(f, j + 1 < t.length ? t.slice(j + 1) : (inv.args[++i]?.text ?? ''));
        break;
      }
    }
  }
  return { flags, operands, values };
}
