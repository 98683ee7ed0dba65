// The mksquashfs shim a build finds first on its PATH inside `isoswarm run` (or after
// init_optimization_system). It asks the swarm what this call should run with (the tuner looks at
// the actual source tree now), runs the real mksquashfs, and reports the measured wall time, CPU
// time and image size back. When the swarm cannot be reached within a short bound, or does not
// answer, the real tool runs exactly as asked and the exit code is passed through; that is said
// once on stderr. Lean on purpose: its own bundle, no CLI, no zod, no LMDB.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfigFast } from '../config/load-fast.js';
import { statePaths } from '../host/system/state-dir.js';
import { connectSwarm } from '../runtime/swarm-connect.js';
import { realTool as findTool, runTool } from './tool-run.js';
import { askSquashfsAdvice, type SquashfsAdvice } from './squashfs-advise.js';

const TOOL = 'mksquashfs';
const env = process.env;
const connectMs = Number(env.ISOSWARM_SHIM_CONNECT_MS ?? 2000);

function plain(tool: string, args: string[], why: string): Promise<number> {
  process.stderr.write(`isoswarm: ${why}; running ${TOOL} unchanged\n`);
  return runTool(tool, args).then((r) => r.exitCode);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const tool = findTool(TOOL);
  if (!tool) {
    process.stderr.write(`isoswarm: no ${TOOL} found on PATH besides the shim\n`);
    return 127;
  }
  if (args.length < 2 || args.some((a) => a === '-version' || a === '-help' || a === '-h'))
    return runTool(tool, args).then((r) => r.exitCode);
  let s;
  try {
    const config = await loadConfigFast();
    s = await connectSwarm({ config, paths: statePaths() }, connectMs);
    if (!s) return plain(tool, args, `the swarm is not reachable within ${connectMs} ms`);
    const prefix = config.nats.subjectPrefix;
    const { requestEndpoint } = await import('../bus/request.js');
    const runId = env.ISOSWARM_RUN_ID ?? null;
    let call: SquashfsAdvice;
    try {
      // A call that names its compressor has a baseline: what it asked for.
      const firstOpt = args.findIndex((x) => x.startsWith('-'));
      const options = firstOpt < 0 ? [] : args.slice(firstOpt);
      call = await askSquashfsAdvice(
        s.nc,
        prefix,
        env,
        process.cwd(),
        args,
        options.includes('-comp') ? options : undefined,
      );
    } catch (e) {
      return await plain(tool, args, `the swarm did not answer (${(e as Error).message})`);
    }
    if (call.changed.length)
      process.stderr.write(`isoswarm: ${TOOL} ${call.tuned?.label ?? ''}: ${call.changed.join('; ')}\n`);
    else if (call.note) process.stderr.write(`isoswarm: ${call.note}\n`);
    const r = await runTool(tool, call.ran);
    const firstOpt = call.ran.findIndex((x) => x.startsWith('-'));
    const dest = (firstOpt < 0 ? call.ran : call.ran.slice(0, firstOpt)).pop();
    let imageBytes: number | null = null;
    try {
      if (dest && existsSync(resolve(dest))) imageBytes = statSync(resolve(dest)).size;
    } catch {
      /* unknown */
    }
    try {
      await requestEndpoint(
        s.nc,
        prefix,
        'coordinator',
        'squashfs-report',
        { callId: call.callId, runId, wallMs: r.wallMs, cpuMs: r.cpuMs, imageBytes, exitCode: r.exitCode },
        60_000,
      );
    } catch (e) {
      process.stderr.write(`isoswarm: the measurement of this ${TOOL} call was not stored (${(e as Error).message})\n`);
    }
    return r.exitCode;
  } catch (e) {
    return plain(tool, args, `the swarm could not be asked (${(e as Error).message})`);
  } finally {
    if (s) {
      const { closeBus } = await import('../bus/connect.js');
      await closeBus(s.nc);
    }
  }
}

void main().then((code) => process.exit(code));
