// live-build's squashfs stage, tuned through live-build's own knobs. shims/lb (first on a build's
// PATH inside `isoswarm run`) runs every `lb` stage unchanged, except `lb binary_rootfs`: live-build
// runs mksquashfs inside its chroot, where no PATH shim reaches, so before that stage starts this
// asks the swarm about the real tree (chroot/chroot, the copy binary_chroot just made) exactly as
// the mksquashfs shim would (same endpoint, same respect/fill/override policy), and passes the
// answer in as LB_CHROOT_SQUASHFS_COMPRESSION_TYPE/_LEVEL (an extra config file named by LB_CONFIG)
// and MKSQUASHFS_OPTIONS (block size, processors). The image's birth and modification times give
// mksquashfs's wall time, reported back beside the prediction. Swarm unreachable: the stage runs as
// configured, said once. The request names live-build's baseline (its xz default, or the config's
// compression): the tuner measures it and anchors the aggressive size bound to it.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  askedOptions,
  baselineOptions,
  knobsFor,
  liveBuildConffiles,
  overlayText,
  readSquashKnobs,
} from '../builders/live-build-knobs.js';
import { loadConfigFast } from '../config/load-fast.js';
import { statePaths } from '../host/system/state-dir.js';
import { connectSwarm } from '../runtime/swarm-connect.js';
import { askSquashfsAdvice, type SquashfsAdvice } from './squashfs-advise.js';

const env = process.env;
const connectMs = Number(env.ISOSWARM_SHIM_CONNECT_MS ?? 2000);

function run(real: string, args: string[], childEnv: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(real, args, { stdio: 'inherit', env: childEnv });
  const fwd = (sig: NodeJS.Signals) => () => child.kill(sig);
  const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((s) => [s, fwd(s)] as const);
  for (const [s, h] of handlers) process.on(s, h);
  return new Promise((res) => {
    child.on('close', (code, signal) => {
      for (const [s, h] of handlers) process.off(s, h);
      res(code ?? 128 + (signal ? 15 : 0));
    });
  });
}

/** A stage line in live-build's own format, so the run's timeline shows the tuning as its own stage. */
function stageLine(name: string): void {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  process.stdout.write(
    `[${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}] lb ${name}\n`,
  );
}

async function main(): Promise<number> {
  const [real, ...args] = process.argv.slice(2);
  if (!real) return 127;
  const cwd = process.cwd();
  const source = existsSync(join(cwd, 'chroot', 'chroot')) ? join(cwd, 'chroot', 'chroot') : join(cwd, 'chroot');
  const initfs = env.LB_INITRAMFS && env.LB_INITRAMFS !== 'live-boot' ? 'boot' : 'live';
  const dest = join(cwd, 'binary', initfs, 'filesystem.squashfs');
  const files = liveBuildConffiles(env);
  const user = readSquashKnobs(files.map((f) => (existsSync(join(cwd, f)) ? readFileSync(join(cwd, f), 'utf8') : '')));
  const asked = askedOptions(user, env.MKSQUASHFS_OPTIONS);
  let s;
  try {
    const config = await loadConfigFast();
    stageLine('isoswarm_squashfs-tune');
    s = await connectSwarm({ config, paths: statePaths() }, connectMs);
    if (!s) {
      process.stderr.write(
        `isoswarm: the swarm is not reachable within ${connectMs} ms; binary_rootfs runs as configured\n`,
      );
      return run(real, args, env);
    }
    const { requestEndpoint } = await import('../bus/request.js');
    const prefix = config.nats.subjectPrefix;
    const runId = env.ISOSWARM_RUN_ID ?? null;
    let call: SquashfsAdvice;
    try {
      call = await askSquashfsAdvice(
        s.nc,
        prefix,
        env,
        cwd,
        [source, dest, ...asked],
        baselineOptions(user, env.MKSQUASHFS_OPTIONS),
      );
    } catch (e) {
      process.stderr.write(
        `isoswarm: the swarm did not answer (${(e as Error).message}); binary_rootfs runs as configured\n`,
      );
      return run(real, args, env);
    }
    const firstOpt = call.ran.findIndex((x) => x.startsWith('-'));
    const plan = knobsFor(firstOpt < 0 ? [] : call.ran.slice(firstOpt), user);
    const childEnv: NodeJS.ProcessEnv = { ...env, ...plan.env };
    let overlay: string | null = null;
    if (plan.overlay) {
      overlay = join(env.ISOSWARM_RUN_DIR ?? tmpdir(), `live-build-squashfs-${process.pid}.conf`);
      writeFileSync(overlay, overlayText(plan.overlay));
      childEnv.LB_CONFIG = [...files, overlay].join(' ');
    }
    const said = plan.overlay
      ? `-comp ${plan.overlay.type || 'xz'}${plan.overlay.level ? ` level ${plan.overlay.level}` : ''}, `
      : '';
    process.stderr.write(
      `isoswarm: live-build squashfs ${call.tuned?.label ?? ''}: ${said}MKSQUASHFS_OPTIONS="${plan.env.MKSQUASHFS_OPTIONS}"${call.note ? ` (${call.note})` : ''}\n`,
    );
    const started = Date.now();
    const code = await run(real, args, childEnv);
    if (overlay && !env.ISOSWARM_RUN_DIR) rmSync(overlay, { force: true });
    let imageBytes: number | null = null;
    let wallMs = Date.now() - started;
    try {
      const st = statSync(dest);
      imageBytes = st.size;
      // mksquashfs creates the image when it starts and writes it to the end; a move keeps the inode.
      if (st.birthtimeMs >= started - 1000 && st.mtimeMs >= st.birthtimeMs)
        wallMs = Math.round(st.mtimeMs - st.birthtimeMs);
    } catch {
      /* no image: the stage failed */
    }
    try {
      await requestEndpoint(
        s.nc,
        prefix,
        'coordinator',
        'squashfs-report',
        { callId: call.callId, runId, wallMs, cpuMs: null, imageBytes, exitCode: code },
        60_000,
      );
    } catch (e) {
      process.stderr.write(
        `isoswarm: the measurement of the squashfs stage was not stored (${(e as Error).message})\n`,
      );
    }
    return code;
  } catch (e) {
    process.stderr.write(
      `isoswarm: the swarm could not be asked (${(e as Error).message}); binary_rootfs runs as configured\n`,
    );
    return run(real, args, env);
  } finally {
    if (s) {
      const { closeBus } = await import('../bus/connect.js');
      await closeBus(s.nc);
    }
  }
}

void main().then((code) => process.exit(code));
