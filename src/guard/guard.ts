// The guard: parse a command line, find the programs it runs, and judge the destructive ones against
// the live host. Whatever it cannot read or judge is allowed with a note: it must never brick a session.
import { homedir } from 'node:os';
import type { PathPolicy } from '../host/guard/path-policy.js';
import { HostView } from './host-view.js';
import { judgeFind, judgeRm } from './judges/delete.js';
import { judgeChroot, judgeMksquashfs, judgeMount } from './judges/mounting.js';
import { judgeKill, judgeKillall, judgePkill } from './judges/signals.js';
import { judgeFuser, judgeUmount } from './judges/unmount.js';
import { parseCommandLine, ShellParseError } from './shell-parse.js';
import { unwrap, type Invocation } from './unwrap.js';
import type { Finding, GuardVerdict, Judge } from './verdict.js';

const JUDGES: Record<string, Judge> = {
  rm: judgeRm,
  find: judgeFind,
  umount: judgeUmount,
  fuser: judgeFuser,
  kill: judgeKill,
  pkill: judgePkill,
  killall: judgeKillall,
  mount: judgeMount,
  chroot: judgeChroot,
  mksquashfs: judgeMksquashfs,
};

/**
 * Words that can start a judged program, directly or through a wrapper/shell. A command line with
 * none of them cannot run one (short of running a script file or a variable, which is unjudgeable
 * anyway), so the parser is not even loaded: most commands an agent runs are `ls`, `git`, `npm`.
 */
const TRIGGER = /\b(rm|find|umount|fuser|kill|pkill|killall|mount|chroot|mksquashfs|eval|xargs)\b/;

export interface GuardOptions {
  cwd: string | null;
  policy: PathPolicy;
  home?: string;
  mountinfoFile?: string;
  /** Processes a name match must not count (the caller's shell). */
  exclude?: number[];
}

/** Whether judging `line` needs the shell parser (and so is worth a trip to a warm one). */
export function needsParser(line: string): boolean {
  return TRIGGER.test(line);
}

export async function judgeCommandLine(line: string, opts: GuardOptions): Promise<GuardVerdict> {
  const verdict: GuardVerdict = {
    decision: 'allow',
    reasons: [],
    safeCommands: [],
    notes: [],
    findings: [],
    parsed: false,
  };
  if (!TRIGGER.test(line)) return verdict;
  verdict.parsed = true;
  const home = opts.home ?? process.env.HOME ?? homedir();
  let invocations: Invocation[];
  try {
    invocations = parseCommandLine(line, { cwd: opts.cwd, home }).flatMap((c) => unwrap(c, { home }));
  } catch (e) {
    if (e instanceof ShellParseError) {
      verdict.notes.push(`the command line does not parse as bash (${e.message}); not judged`);
      return verdict;
    }
    verdict.notes.push(`the guard could not read the command (${(e as Error).message}); not judged`);
    return verdict;
  }
  const host = new HostView(opts.policy, opts.mountinfoFile);
  const ctx = { host, all: invocations, exclude: opts.exclude ?? [] };
  for (const inv of invocations) {
    const judge = JUDGES[inv.name];
    if (judge) {
      try {
        verdict.findings.push(...(await judge(inv, ctx)));
      } catch (e) {
        verdict.notes.push(`${inv.name}: could not be judged (${(e as Error).message})`);
      }
    }
    verdict.notes.push(...inv.notes);
  }
  const denied: Finding[] = verdict.findings.filter((f) => f.decision === 'deny');
  if (denied.length > 0) {
    verdict.decision = 'deny';
    verdict.reasons = denied.map((f) => `${f.command}: ${f.reason}`);
    verdict.safeCommands = [...new Set(denied.flatMap((f) => (f.safe ? [f.safe] : [])))];
  }
  verdict.notes = [...new Set(verdict.notes)];
  return verdict;
}

/** One paragraph for the agent: what was refused, why, and what to run instead. */
export function denyMessage(v: GuardVerdict): string {
  const lines = ['isoswarm guard refused this command:', ...v.reasons.map((r) => `- ${r}`)];
  if (v.safeCommands.length) lines.push('Do it safely with:', ...v.safeCommands.map((s) => `  ${s}`));
  return lines.join('\n');
}
