// The debootstrap shim a build finds first on its PATH inside `isoswarm run`. The swarm keys the call
// (suite, variant, arch, packages, mirror and its Release, keyring, script, tool version): a cached
// root whose sha256 still matches is unpacked into the target instead of bootstrapping again; on a
// miss the real debootstrap runs as asked and its root is kept for next time. With the swarm out of
// reach within a short bound, or ISOSWARM_ROOT_CACHE=off, the real tool runs unchanged and its exit
// code is passed through. Lean on purpose: its own bundle, no CLI, no zod, no LMDB.
import { spawnSync } from 'node:child_process';
import { loadConfigFast } from '../config/load-fast.js';
import { statePaths } from '../host/system/state-dir.js';
import { connectSwarm } from '../runtime/swarm-connect.js';
import { realTool, runTool } from './tool-run.js';

const TOOL = 'debootstrap';
const env = process.env;
const connectMs = Number(env.ISOSWARM_SHIM_CONNECT_MS ?? 2000);
const say = (m: string) => process.stderr.write(`isoswarm: ${m}\n`);

function plain(tool: string, args: string[], why: string): Promise<number> {
  say(`${why}; running ${TOOL} unchanged`);
  return runTool(tool, args).then((r) => r.exitCode);
}

const mib = (n: number) => (n < 1048576 ? `${(n / 1024).toFixed(0)} KiB` : `${(n / 1048576).toFixed(1)} MiB`);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const tool = realTool(TOOL);
  if (!tool) {
    say(`no ${TOOL} found on PATH besides the shim`);
    return 127;
  }
  if (env.ISOSWARM_ROOT_CACHE === 'off' || args.length < 2 || args.some((a) => a === '--help' || a === '--version'))
    return runTool(tool, args).then((r) => r.exitCode);
  let s;
  try {
    const config = await loadConfigFast();
    s = await connectSwarm({ config, paths: statePaths() }, connectMs);
    if (!s) return await plain(tool, args, `the swarm is not reachable within ${connectMs} ms`);
    const prefix = config.nats.subjectPrefix;
    const { requestEndpoint } = await import('../bus/request.js');
    const v = spawnSync(tool, ['--version'], { encoding: 'utf8', timeout: 10_000 });
    const toolVersion = (v.stdout || '').trim() || 'unknown';
    type Call = {
      callId: string;
      action: 'restored' | 'run';
      cacheable: boolean;
      reason: string;
      restoreMs: number | null;
      bytes: number | null;
      madeInMs: number | null;
    };
    let call: Call;
    try {
      call = await requestEndpoint(
        s.nc,
        prefix,
        'coordinator',
        'root-advise',
        {
          runId: env.ISOSWARM_RUN_ID ?? null,
          cwd: process.cwd(),
          args,
          toolVersion,
          debootstrapDir: env.DEBOOTSTRAP_DIR ?? null,
        },
        Number(env.ISOSWARM_SHIM_ADVISE_MS ?? 60 * 60_000),
      );
    } catch (e) {
      return await plain(tool, args, `the swarm did not answer (${(e as Error).message})`);
    }
    if (call.action === 'restored') {
      say(
        `${TOOL}: ${call.reason}: ${mib(call.bytes ?? 0)} unpacked in ${secs(call.restoreMs ?? 0)}${call.madeInMs ? ` (the real run took ${secs(call.madeInMs)})` : ''}`,
      );
      return 0;
    }
    say(`${TOOL}: ${call.reason}`);
    const r = await runTool(tool, args);
    if (!call.cacheable) return r.exitCode;
    try {
      const st = await requestEndpoint<{
        stored: boolean;
        reason: string;
        bytes: number | null;
        packMs: number | null;
      }>(
        s.nc,
        prefix,
        'coordinator',
        'root-store',
        { callId: call.callId, exitCode: r.exitCode, wallMs: r.wallMs },
        Number(env.ISOSWARM_SHIM_ADVISE_MS ?? 60 * 60_000),
      );
      say(`${TOOL}: ${st.reason}${st.bytes !== null ? ` (${mib(st.bytes)}, packed in ${secs(st.packMs ?? 0)})` : ''}`);
    } catch (e) {
      say(`the root this ${TOOL} made was not cached (${(e as Error).message})`);
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
