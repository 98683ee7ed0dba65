// Plan a teardown: read the host, decide, change nothing. `--dry-run` prints formatPlan's text.
import { classifyMounts } from '../../src/host/mounts/foreign-mounts.js';
import { listLoopDevices, loopsBackedUnder } from '../../src/host/mounts/loop-devices.js';
import { readMountinfo, unmountOrder } from '../../src/host/mounts/mountinfo.js';
import { canonicalPolicy, type PathPolicy, resolveAndCheck } from '../../src/host/guard/path-policy.js';
import { holdersInside, processesRootedIn } from '../../src/host/proc/proc-scan.js';
import type { TeardownPlan } from './types.js';

export async function planTeardown(input: string, policy: PathPolicy, homes: readonly string[]): Promise<TeardownPlan> {
  const plan: TeardownPlan = {
    input,
    target: null,
    refused: null,
    processes: [],
    holders: [],
    mounts: [],
    foreign: [],
    loops: [],
    createdAt: new Date().toISOString(),
  };
  const resolved = await resolveAndCheck(input, await canonicalPolicy(policy), homes);
  if (!resolved.ok) {
    plan.refused = { code: resolved.code, reason: resolved.reason };
    return plan;
  }
  const target = resolved.path;
  plan.target = { path: target, fileId: resolved.fileId };
  const [mounts, loops] = await Promise.all([readMountinfo(), listLoopDevices()]);
  const { ours, foreign } = classifyMounts(mounts, target, loops);
  plan.mounts = unmountOrder(ours);
  plan.foreign = foreign;
  plan.loops = await loopsBackedUnder(target, loops);
  plan.processes = await processesRootedIn(target);
  plan.holders = await holdersInside(target);
  return plan;
}

function esc(s: string): string {
  // Show tabs and newlines in names visibly, as the kernel would escape them.
  return s.replace(/[\t\n\\]/g, (c) => (c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\\\'));
}

export function formatPlan(plan: TeardownPlan): string {
  const lines: string[] = [];
  if (plan.refused || !plan.target) {
    lines.push(
      `REFUSED ${JSON.stringify(plan.input)}: ${plan.refused?.reason ?? 'no target'} [${plan.refused?.code ?? '?'}]`,
    );
    lines.push('Nothing will be done.');
    return lines.join('\n');
  }
  lines.push(
    `Teardown plan for ${esc(plan.target.path)}${plan.input !== plan.target.path ? ` (given as ${JSON.stringify(plan.input)})` : ''}`,
  );
  lines.push('', `Processes rooted in the chroot (SIGTERM, grace period, SIGKILL): ${plan.processes.length}`);
  for (const p of plan.processes) lines.push(`  pid ${p.pid}  ${esc(p.cmdline || `[${p.comm}]`)}`);
  lines.push('', `Mounts to unmount, in order: ${plan.mounts.length}`);
  plan.mounts.forEach((m, i) => lines.push(`  ${i + 1}. ${esc(m.mountPoint)}  (${m.fsType} from ${esc(m.source)})`));
  lines.push('', `Loop devices to detach (backed inside the target): ${plan.loops.length}`);
  for (const l of plan.loops) lines.push(`  ${l.name}  <- ${esc(l.backingFile ?? '?')}`);
  lines.push(
    '',
    `Processes outside the chroot using files inside it (reported, NOT signalled): ${plan.holders.length}`,
  );
  for (const h of plan.holders) {
    lines.push(`  pid ${h.pid}  ${esc(h.cmdline || `[${h.comm}]`)}`);
    for (const u of h.uses.slice(0, 5)) lines.push(`      ${u.kind} ${esc(u.path)}`);
    if (h.uses.length > 5) lines.push(`      ... and ${h.uses.length - 5} more`);
  }
  lines.push('', `Foreign mounts (left mounted; the teardown cannot complete): ${plan.foreign.length}`);
  for (const f of plan.foreign)
    lines.push(`  ${esc(f.mount.mountPoint)}  (${f.mount.fsType} from ${esc(f.mount.source)}): ${f.reason}`);
  return lines.join('\n');
}
