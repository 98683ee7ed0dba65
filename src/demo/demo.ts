// isoswarm demo: a real small image build that crashes with everything mounted, taken apart by the
// swarm; then proof that the host is exactly as before.
import { relayTimeoutMs } from '../schemas/agents/routes.js';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NatsConnection } from '../bus/connect.js';
import { readMountinfo } from '../host/mounts/mountinfo.js';
import { isAtOrUnder } from '../host/fs/paths.js';
import type { StatePaths } from '../host/system/state-dir.js';
import { orchestrateRun } from '../run/orchestrate.js';
import { saveRun } from '../run/save.js';
import type { Config } from '../schemas/config.js';
import { demoBuildScript } from './build-script.js';
import { buildPayload } from './payload.js';
import { requestEndpoint } from '../bus/request.js';

export interface DemoSummary {
  ok: boolean;
  work: string;
  tree: { files: number; bytes: number };
  exitCode: number | null;
  tuning: { applied: Record<string, string>; predicted: { timeMs: number; sizeBytes: number } | null } | null;
  squashfs: { timeMs: number; sizeBytes: number } | null;
  isoBytes: number | null;
  teardown: { status: string; signalled: number; unmounted: number } | null;
  clean: { status: string; bytes: number } | null;
  host: { mountsUnchanged: boolean; propagated: string[]; devNullIntact: boolean; leftUnderWork: string[] };
  runId: string;
  report: string;
  notes: string[];
}

async function hostMounts(except: string): Promise<string[]> {
  return (await readMountinfo())
    .filter((m) => !isAtOrUnder(m.mountPoint, except))
    .map((m) => `${m.id} ${m.mountPoint} ${m.fsType}`)
    .sort();
}

export async function runDemo(
  config: Config,
  paths: StatePaths,
  nc: NatsConnection,
  say: (m: string) => void,
  json = false,
): Promise<DemoSummary> {
  const work = mkdtempSync('/tmp/isoswarm-demo-');
  const chroot = join(work, 'chroot');
  const out = join(work, 'out');
  const before = await hostMounts(work);
  const devNull = statSync('/dev/null').rdev;
  say(`demo: building a root tree in ${chroot}`);
  const tree = buildPayload(chroot);
  writeFileSync(join(work, 'build.sh'), demoBuildScript(), { mode: 0o755 });
  const { record } = await orchestrateRun(config, nc, {
    command: [join(work, 'build.sh'), chroot, out],
    chroot,
    isolate: false,
    keepOnFailure: false,
    name: 'isoswarm-demo',
    tune: true,
    aptCache: false,
    optimizeSystem: false,
    json,
    stateRoot: paths.root,
    say,
  });
  let squashfs: DemoSummary['squashfs'] = null;
  if (existsSync(join(out, 'squashfs.measure'))) {
    const [ms, size] = readFileSync(join(out, 'squashfs.measure'), 'utf8').trim().split(' ').map(Number);
    squashfs = { timeMs: ms!, sizeBytes: size! };
    // The measured effect of the tuning, next to its prediction.
    if (record.tuning) record.tuning.measured = squashfs;
  }
  const isoBytes = existsSync(join(out, 'demo.iso')) ? statSync(join(out, 'demo.iso')).size : null;
  const after = await hostMounts(work);
  const leftUnderWork = (await readMountinfo()).filter((m) => isAtOrUnder(m.mountPoint, work)).map((m) => m.mountPoint);
  // Every mount the host had is still there (nothing of the host was unmounted), and nothing the demo
  // mounted is left. Mounts that other processes add meanwhile elsewhere are theirs, not ours.
  // New mounts under the host paths the build bound in (/dev, /usr) or mounted (/proc, /sys, /run)
  // would be the build's mounts propagated to the host: those count as a change too.
  const kept = new Set(after);
  const had = new Set(before);
  const propagated = after.filter(
    (m) => !had.has(m) && ['/dev', '/usr', '/proc', '/sys', '/run'].some((p) => isAtOrUnder(m.split(' ')[1] ?? '', p)),
  );
  const host = {
    mountsUnchanged: before.every((m) => kept.has(m)) && propagated.length === 0,
    propagated,
    devNullIntact: statSync('/dev/null').rdev === devNull && statSync('/dev/null').isCharacterDevice(),
    leftUnderWork,
  };
  record.notes = [
    ...(record.notes ?? []),
    `demo: host mount table ${host.mountsUnchanged ? 'unchanged' : 'CHANGED'}; /dev/null ${host.devNullIntact ? 'intact' : 'DAMAGED'}`,
  ];
  const saved = saveRun(paths, record);
  const td = saved.record.teardown;
  const cl = saved.record.clean;
  // Our own scratch (the image and ISO) goes through the Cleaner too: policy, lock, no crossing mounts.
  let scratchRemoved = false;
  if (!leftUnderWork.length) {
    const r = await requestEndpoint<{ result: { status: string } | null }>(
      nc,
      config.nats.subjectPrefix,
      'coordinator',
      'clean',
      { targets: [{ path: work, kind: 'tree' }] },
      relayTimeoutMs('clean'),
    ).catch(() => null);
    scratchRemoved = r?.result?.status === 'done';
  }
  return {
    ok: host.mountsUnchanged && host.devNullIntact && !leftUnderWork.length && td?.status === 'done' && scratchRemoved,
    work,
    tree,
    exitCode: saved.record.exitCode,
    tuning: saved.record.tuning
      ? {
          applied: saved.record.tuning.applied,
          predicted: (saved.record.tuning.predicted as DemoSummary['squashfs']) ?? null,
        }
      : null,
    squashfs,
    isoBytes,
    teardown: td ? { status: td.status, signalled: td.signalled.length, unmounted: td.unmounted.length } : null,
    clean: cl ? { status: cl.status, bytes: cl.targets.reduce((n, t) => n + t.deleted.bytes, 0) } : null,
    host,
    runId: saved.record.runId,
    report: saved.html,
    notes: saved.record.notes,
  };
}
