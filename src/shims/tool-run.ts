// What every tool shim shares: finding the real tool on PATH (past the shim dir and any other
// isoswarm shim) and running it with the exit code, wall time and CPU time measured.
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** The real tool: the first one on PATH (then the sbin dirs) that is not in a shim dir. */
export function realTool(tool: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const shimDir = env.ISOSWARM_SHIM_DIR ? resolve(env.ISOSWARM_SHIM_DIR) : null;
  for (const d of [...(env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin']) {
    if (!d || (shimDir && resolve(d) === shimDir)) continue;
    const p = join(d, tool);
    try {
      if (statSync(p).isFile() && !readFileSync(p, { encoding: 'latin1' }).slice(0, 200).includes('isoswarm shim'))
        return p;
    } catch {
      /* not here */
    }
  }
  return null;
}

export interface Ran {
  exitCode: number;
  wallMs: number;
  cpuMs: number | null;
}

/** Runs the tool through bash's `times` (CPU of waited-for children) on fd 3; signals forwarded. */
export function runTool(tool: string, args: string[]): Promise<Ran> {
  const started = performance.now();
  const child = spawn('bash', ['-c', '"$0" "$@"; s=$?; times >&3; exit $s', tool, ...args], {
    stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
  });
  let out = '';
  child.stdio[3]?.on('data', (d: Buffer) => (out += d.toString()));
  const fwd = (sig: NodeJS.Signals) => () => child.kill(sig);
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, fwd(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  return new Promise((res) => {
    child.on('close', (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      const m = /(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s\s*$/.exec(out.trim());
      const cpuMs = m ? Math.round((Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000) : null;
      res({ exitCode: code ?? 128 + (signal ? 15 : 0), wallMs: Math.round(performance.now() - started), cpuMs });
    });
  });
}
