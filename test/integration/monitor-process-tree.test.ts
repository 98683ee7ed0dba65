// The process-tree meter on a real tree: a shell that first runs dd (reaped before we look), then two
// CPU burners. Only processes this test started are ever signalled (its own process group).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessTreeMeter, processTree, type ProcessTreeUsage } from '../../src/host/proc/process-tree-usage.js';

const TMPFS_MAGIC = 0x01021994;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, f: () => T | null | undefined | false, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** utime+stime+cutime+cstime of the given processes, in seconds, parsed here independently. */
function oracleSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const text = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return ticks / 100;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) =>
    child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r()),
  );
}

test('process tree: members, CPU of busy children, I/O and CPU of reaped children kept, exit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'isoswarm-test-tree-'));
  const script = [
    `dd if=/dev/zero of="${dir}/blob" bs=1M count=8 conv=fsync 2>/dev/null`,
    // CPU spent in a subshell that is reaped before the burners start (lands in the shell's cutime)
    '( i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done )',
    'yes > /dev/null & yes > /dev/null & wait',
  ].join('\n');
  // detached: its own process group, so cleanup can signal exactly this tree and nothing else.
  const sh = spawn('/bin/sh', ['-c', script], { stdio: 'ignore', detached: true });
  const pid = sh.pid!;
  try {
    const meter = new ProcessTreeMeter(pid);
    const first = await until('two burners', () => {
      const u = meter.sample();
      return u.procs === 3 ? u : null;
    });
    assert.equal(first.pid, pid);
    assert.ok(first.alive);
    assert.ok(first.rssBytes > 0);
    // dd wrote 8 MiB and was reaped by the shell: its I/O now counts in the shell's /proc/PID/io.
    if (statfsSync(dir).type !== TMPFS_MAGIC) assert.ok(first.writeBytes >= 8 << 20, `writeBytes ${first.writeBytes}`);

    // The forked subshells become `yes` once they exec.
    const tree = await until('burners exec', () => {
      const t = processTree(pid);
      return t.length === 3 && t.slice(1).every((p) => p.comm === 'yes') ? t : null;
    });
    assert.equal(tree[0]?.pid, pid);

    // CPU over one second, checked against the members' own /proc counters read independently
    // (the host may be busy: how much CPU the burners get is not fixed, the accounting must be).
    const a = meter.sample();
    const o1 = oracleSeconds(tree.map((p) => p.pid));
    await sleep(1000);
    const o2 = oracleSeconds(tree.map((p) => p.pid));
    const busy = meter.sample();
    assert.ok(
      Math.abs(busy.cpuSeconds - a.cpuSeconds - (o2 - o1)) <= 0.08,
      `meter ${busy.cpuSeconds - a.cpuSeconds} vs /proc ${o2 - o1}`,
    );
    assert.ok(busy.cpuPct > 5, `burners got ${busy.cpuPct.toFixed(0)} % of a core`);
    assert.ok(busy.cpuSeconds >= first.cpuSeconds);

    // One burner ends; the shell reaps it: its CPU moves into the shell's cutime, the total never drops.
    const burner = tree[1]!;
    process.kill(burner.pid, 'SIGKILL');
    const two = await until('burner reaped', () => {
      const u = meter.sample();
      return u.procs === 2 ? u : null;
    });
    assert.ok(two.cpuSeconds >= busy.cpuSeconds, `${two.cpuSeconds} < ${busy.cpuSeconds}`);

    process.kill(-pid, 'SIGKILL');
    await exited(sh);
    const gone: ProcessTreeUsage = await until('tree gone', () => {
      const u = meter.sample();
      return u.procs === 0 ? u : null;
    });
    assert.equal(gone.alive, false);
    assert.ok(gone.cpuSeconds >= two.cpuSeconds);
    assert.ok(gone.writeBytes >= first.writeBytes);
    assert.equal(meter.sample().cpuPct, 0);
  } finally {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await exited(sh);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('process tree: a PID that does not exist gives an empty, dead tree', () => {
  const meter = new ProcessTreeMeter(2 ** 22 + 4321);
  const u = meter.sample();
  assert.deepEqual([u.procs, u.alive, u.cpuPct, u.cpuSeconds], [0, false, 0, 0]);
});
