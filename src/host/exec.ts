// The one owner of execa: every short-lived external command goes through here.
import { execa, type Options } from 'execa';
import { access, constants } from 'node:fs/promises';

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Runs a command without a shell; never throws for a non-zero exit (the caller decides). */
export async function run(file: string, args: readonly string[], opts: Options = {}): Promise<ExecResult> {
  const started = performance.now();
  const r = await execa(file, args, { reject: false, stdin: 'ignore', ...opts });
  return {
    exitCode: typeof r.exitCode === 'number' ? r.exitCode : -1,
    stdout: typeof r.stdout === 'string' ? r.stdout : '',
    stderr: typeof r.stderr === 'string' ? r.stderr : r.failed ? String(r.message ?? '') : '',
    durationMs: performance.now() - started,
  };
}

/** Like run, but throws with the command's stderr when it fails. */
export async function runOk(file: string, args: readonly string[], opts: Options = {}): Promise<ExecResult> {
  const r = await run(file, args, opts);
  if (r.exitCode !== 0) {
    throw new Error(`${file} ${args.join(' ')} exited ${r.exitCode}: ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r;
}

/** Finds an executable on PATH or in the sbin folders root tools live in. */
export async function which(name: string): Promise<string | null> {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = `${d}/${name}`;
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      /* not here */
    }
  }
  return null;
}
