// Over 250 lines on purpose: every endpoint of every service against one real swarm.
// The wire contracts against a real swarm: every endpoint of every service gets a valid request (on
// scratch trees under /tmp/isoswarm-test-*), and every reply parses with its output schema and carries
// no field the schema does not name. Every endpoint the services register must have a contract.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from 'nats';
import { MODES } from '../../agents/performance-tuner/choose.js';
import { requestEndpoint } from '../../src/bus/request.js';
import { refOf } from '../../src/host/proc/process-identity.js';
import { leaseTimes } from '../../src/run/lease.js';
import { createRunDir, writeDurable, type RegisteredRun } from '../../src/run/registry.js';
import type { ServiceName } from '../../src/bus/subjects.js';
import { adoptEndpointName, contractName } from '../../src/schemas/agents/agent-common.js';
import { CONTRACTS, ROUTES } from '../../src/schemas/agents/contracts.js';
import { tuneModeSchema } from '../../src/schemas/agents/performance-tuner.js';
import { AGENT_ROUTES } from '../../src/schemas/agents/routes.js';
import type { SquashCall } from '../../agents/performance-tuner/squashfs-calls.js';
import type { GuardVerdict } from '../../src/guard/verdict.js';
import type { RunState } from '../../src/run/registry.js';
import type { GuardOutput, RunsOutput } from '../../src/schemas/agents/coordinator-runs-guard.js';
import type { SquashCallReply } from '../../src/schemas/agents/performance-tuner.js';
import { rawClient, SUBJ } from '../helpers/bus.js';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { needsRoot } from '../helpers/root.js';
import { makeTinyMirror } from '../helpers/tiny-mirror.js';

const PREFIX = 'isoswarm';

// What the handlers return is what the contracts name (checked by tsc, both ways where the types are closed).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const typeChecks: [
  Same<RunState, RunsOutput['runs'][number]['state']>,
  GuardVerdict extends GuardOutput ? true : false,
  SquashCall extends SquashCallReply ? true : false,
] = [true, true, true];
void typeChecks;

function makeTree(dir: string, files: number): void {
  mkdirSync(join(dir, 'etc'), { recursive: true });
  mkdirSync(join(dir, 'usr/share/doc'), { recursive: true });
  for (let i = 0; i < files; i++) {
    const text = `line ${i} of a file that compresses like a config or a manual page\n`.repeat(200 + i * 10);
    writeFileSync(join(dir, i % 2 ? 'etc' : 'usr/share/doc', `f${i}.txt`), text);
  }
}

/** Paths of fields in `raw` that are not in `parsed` (what the schema does not name). */
function stripped(raw: unknown, parsed: unknown, at = '$'): string[] {
  if (Array.isArray(raw) && Array.isArray(parsed)) return raw.flatMap((v, i) => stripped(v, parsed[i], `${at}[${i}]`));
  if (raw && typeof raw === 'object' && parsed && typeof parsed === 'object') {
    return Object.entries(raw).flatMap(([k, v]) =>
      k in parsed ? stripped(v, (parsed as Record<string, unknown>)[k], `${at}.${k}`) : [`${at}.${k}`],
    );
  }
  return [];
}

function startTimeOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

describe('agent contracts', { skip: needsRoot() }, () => {
  const home = scratchHome('contracts');
  const env = testEnv(home);
  const work = mkdtempSync('/tmp/isoswarm-test-contracts-work-');
  const chroot = join(work, 'chroot');
  const tree = join(work, 'tree');
  let nc: NatsConnection;
  /** service.endpoint of every reply checked. */
  const checked = new Set<string>();

  before(async () => {
    makeTree(chroot, 24);
    makeTree(tree, 24);
    for (const d of ['del-a', 'del-b', 'plan-a']) makeTree(join(work, d), 3);
    const r = cliSync(env, ['up', '--json']);
    assert.equal(r.code, 0, r.stderr);
    nc = await rawClient(home);
  });
  after(async () => {
    await nc?.close().catch(() => undefined);
    teardownHome(home);
    removeScratch(work);
  });

  /** Sends `payload`, parses the reply with the endpoint's output schema; no undeclared field may be stripped. */
  async function check(service: ServiceName, ep: string, payload: unknown, timeoutMs = 60_000): Promise<unknown> {
    const contract = CONTRACTS[service][contractName(ep)];
    assert.ok(contract, `no contract for ${service}.${ep}`);
    assert.ok(contract.input.safeParse(payload).success, `the test's payload for ${service}.${ep} is not valid input`);
    const reply = await requestEndpoint(nc, PREFIX, service, ep, payload, timeoutMs);
    const parsed = contract.output.safeParse(reply);
    assert.ok(
      parsed.success,
      `${service}.${ep}: ${parsed.success ? '' : parsed.error.message}\n${JSON.stringify(reply).slice(0, 2000)}`,
    );
    assert.deepEqual(
      stripped(reply, parsed.data),
      [],
      `${service}.${ep}: the reply has fields its schema does not name`,
    );
    assert.deepEqual(parsed.data, reply, `${service}.${ep}: the parsed reply differs`);
    checked.add(`${service}.${contractName(ep)}`);
    return reply;
  }

  test('every endpoint a service registers has a contract, and every contract an endpoint', async () => {
    const registered = new Set<string>();
    const it = await nc.requestMany('$SRV.INFO', new Uint8Array(0), { maxWait: 1500 } as never);
    for await (const m of it) {
      const v = JSON.parse(new TextDecoder().decode(m.data)) as {
        name: ServiceName;
        endpoints: { name: string; subject: string }[];
      };
      for (const e of v.endpoints) {
        const ep = e.subject.slice(`${SUBJ}.${v.name}.`.length);
        assert.equal(e.subject, `${SUBJ}.${v.name}.${ep}`);
        registered.add(`${v.name}.${contractName(ep)}`);
      }
    }
    const declared = new Set(Object.entries(CONTRACTS).flatMap(([s, eps]) => Object.keys(eps).map((e) => `${s}.${e}`)));
    assert.deepEqual(
      [...registered].filter((e) => !declared.has(e)),
      [],
      'registered endpoints without a contract',
    );
    assert.deepEqual(
      [...declared].filter((e) => !registered.has(e)),
      [],
      'contracts without an endpoint',
    );
    assert.equal(Object.keys(CONTRACTS).length, 5);
    // The relay routes carry the contract of the agent endpoint they reach, and a timeout longer than the relay's.
    for (const [name, r] of Object.entries(AGENT_ROUTES)) {
      const route = ROUTES[name as keyof typeof ROUTES];
      assert.equal(route.output, CONTRACTS[r.service][r.endpoint]?.output, name);
      assert.ok(route.timeoutMs !== null && route.timeoutMs > r.timeoutMs, name);
    }
    assert.deepEqual([...tuneModeSchema.options], [...MODES], "the wire modes are the tuner's modes");
  });

  test('unmounter: plan and teardown of a scratch chroot, direct and relayed', async () => {
    const plan = (await check('unmounter', 'plan', { target: chroot })) as { plan: { refused: unknown } };
    assert.equal(plan.plan.refused, null);
    await check('unmounter', 'teardown', { target: chroot, dryRun: true });
    const t = (await check('unmounter', 'teardown', { target: chroot })) as { result: { status: string } };
    assert.equal(t.result.status, 'done');
    await check('coordinator', 'unmount-plan', { target: chroot });
    await check('coordinator', 'teardown', { target: chroot, graceMs: 1000 });
  });

  test('cleaner: plan and clean of scratch trees, direct and relayed', async () => {
    const p = (await check('cleaner', 'plan', {
      targets: [{ path: join(work, 'plan-a') }, { path: join(work, 'chroot', 'etc'), kind: 'temp', maxAgeSec: 0 }],
    })) as { plan: { totalBytes: number } };
    assert.ok(p.plan.totalBytes > 0);
    const c = (await check('cleaner', 'clean', { targets: [{ path: join(work, 'del-a') }] })) as {
      result: { status: string };
    };
    assert.equal(c.result.status, 'done');
    await check('coordinator', 'clean-plan', { targets: [{ path: join(work, 'plan-a') }] });
    const r = (await check('coordinator', 'clean', {
      targets: [{ path: join(work, 'del-b') }],
      trigger: 'contract test',
    })) as { result: { status: string } };
    assert.equal(r.result.status, 'done');
  });

  test('performance-tuner: tune (no tree and a measured tree), system status/dry-run/rollback, apt cache', async () => {
    const fast = (await check('performance-tuner', 'tune', { target: null })) as { fastPath: boolean };
    assert.equal(fast.fastPath, true);
    const measured = (await check('coordinator', 'tune', { target: tree, mode: 'auto' }, 300_000)) as {
      choice: { mksquashfsOpts: string };
    };
    assert.ok(measured.choice.mksquashfsOpts.length > 0);
    await check('performance-tuner', 'system', { action: 'status' });
    await check('performance-tuner', 'system', { action: 'apply', buildDir: work, dryRun: true });
    await check('coordinator', 'system', { action: 'rollback' });
    const a = (await check('performance-tuner', 'cache-attach', { chroot })) as { mountedAt: string };
    assert.ok(a.mountedAt.startsWith(chroot));
    const su = (await check('performance-tuner', 'cache-suspend', { chroot })) as { suspended: boolean };
    assert.equal(su.suspended, true);
    const re = (await check('performance-tuner', 'cache-resume', { chroot })) as { resumed: boolean };
    assert.equal(re.resumed, true);
    const d = (await check('performance-tuner', 'cache-detach', { chroot })) as {
      unbind: { unmounted: boolean };
      privateDirRemoved: boolean;
    };
    assert.equal(d.unbind.unmounted, true);
    assert.equal(d.privateDirRemoved, true);
    // Nothing attached any more: both answer so, relayed.
    assert.equal(
      ((await check('coordinator', 'cache-suspend', { chroot })) as { suspended: boolean }).suspended,
      false,
    );
    assert.equal(((await check('coordinator', 'cache-resume', { chroot })) as { resumed: boolean }).resumed, false);
  });

  /** Runs mksquashfs as a call asks (in `cwd`) and reports what was measured. */
  function runMksquashfs(
    cwd: string,
    args: string[],
    img: string,
  ): { wallMs: number; cpuMs: null; imageBytes: number | null; exitCode: number } {
    const t0 = performance.now();
    const r = spawnSync('mksquashfs', args, { cwd, stdio: 'ignore', timeout: 120_000 });
    const wallMs = Math.round(performance.now() - t0);
    return { wallMs, cpuMs: null, imageBytes: existsSync(img) ? statSync(img).size : null, exitCode: r.status ?? 1 };
  }

  test('performance-tuner: mksquashfs shim calls (advise with the apt cache overlay taken out, measured report, list)', async () => {
    await check('coordinator', 'cache-attach', { chroot });
    const runId = 'contracts-squashfs';
    const img = join(work, 'chroot.img');
    const call = (await check(
      'coordinator',
      'squashfs-advise',
      { runId, cwd: work, args: ['chroot', img, '-noappend', '-comp', 'gzip'] },
      300_000,
    )) as { callId: string; ran: string[]; cacheSuspended: string[]; tuned: unknown };
    assert.ok(call.tuned, 'the chroot was tuned');
    assert.equal(call.cacheSuspended.length, 1, 'the overlay in the chroot was taken out before squashing it');
    const m = runMksquashfs(work, call.ran, img);
    assert.equal(m.exitCode, 0);
    const rep = (await check('coordinator', 'squashfs-report', { callId: call.callId, runId, ...m })) as {
      resumed: string[];
    };
    assert.equal(rep.resumed.length, 1);
    const listed = (await check('performance-tuner', 'squashfs-calls', { runId })) as {
      calls: { measured: unknown }[];
    };
    assert.equal(listed.calls.length, 1);
    assert.deepEqual(listed.calls[0]?.measured, m);
    // A source that is not a directory runs as asked (and fails as mksquashfs fails).
    const missing = join(work, 'no-such-tree');
    const img2 = join(work, 'missing.img');
    const c2 = (await check('performance-tuner', 'squashfs-advise', { runId, cwd: work, args: [missing, img2] })) as {
      callId: string;
      ran: string[];
      note: string;
    };
    assert.match(c2.note, /not a directory/);
    const m2 = runMksquashfs(work, c2.ran, img2);
    assert.notEqual(m2.exitCode, 0);
    await check('performance-tuner', 'squashfs-report', { callId: c2.callId, runId, ...m2 });
    const all = (await check('coordinator', 'squashfs-calls', { runId })) as { calls: unknown[] };
    assert.equal(all.calls.length, 2);
    await check('coordinator', 'cache-detach', { chroot });
  });

  test('performance-tuner root cache: a miss the real debootstrap fills, stored, then a verified restore; the run lookups', async () => {
    const m = makeTinyMirror(work);
    const runId = 'contracts-root-run';
    const args = (t: string) => ['--no-check-gpg', 'tiny', t, m.url, m.script];
    const base = { runId, cwd: work, toolVersion: 'debootstrap contract-test', debootstrapDir: null };
    const miss = (await check('performance-tuner', 'root-advise', { ...base, args: args(join(work, 'root-a')) })) as {
      callId: string;
      action: string;
      cacheable: boolean;
    };
    assert.deepEqual([miss.action, miss.cacheable], ['run', true]);
    const real = spawnSync('debootstrap', args(join(work, 'root-a')), { encoding: 'utf8', timeout: 120_000 });
    assert.equal(real.status, 0, real.stderr);
    const st = (await check('performance-tuner', 'root-store', { callId: miss.callId, exitCode: 0, wallMs: 500 })) as {
      stored: boolean;
    };
    assert.equal(st.stored, true);
    const gone = (await check('coordinator', 'root-store', { callId: 'no-such-call', exitCode: 0, wallMs: 1 })) as {
      stored: boolean;
    };
    assert.equal(gone.stored, false);
    const hit = (await check('coordinator', 'root-advise', { ...base, args: args(join(work, 'root-b')) })) as {
      action: string;
    };
    assert.equal(hit.action, 'restored');
    const odd = (await check('performance-tuner', 'root-advise', {
      ...base,
      args: ['--foreign', 'tiny', join(work, 'root-c')],
    })) as {
      cacheable: boolean;
      reason: string;
    };
    assert.equal(odd.cacheable, false);
    assert.match(odd.reason, /does not make a finished root/);
    const calls = (await check('coordinator', 'root-calls', { runId })) as { lookups: { outcome: string }[] };
    assert.deepEqual(
      calls.lookups.map((l) => l.outcome),
      ['miss', 'hit'],
    );
    await check('performance-tuner', 'root-calls', { runId });
    for (const svc of ['performance-tuner', 'coordinator'] as const) {
      const ls = (await check(svc, 'cache-ls', {})) as { caches: { cache: string; entries: number }[] };
      assert.equal(ls.caches.find((x) => x.cache === 'debootstrap-roots')?.entries, 1);
      const why = (await check(svc, 'cache-why', { subject: join(work, 'root-b') })) as { found: string };
      assert.equal(why.found, 'target');
      const pr = (await check(svc, 'cache-prune', { cache: 'debootstrap-roots', toBytes: 0, dryRun: true })) as {
        plans: { evict: unknown[] }[];
      };
      assert.equal(pr.plans[0]?.evict.length, 1);
    }
  });

  test('performance-tuner bootstrap: a refused target is an error reply, the input passes its schema', async () => {
    // A real debootstrap needs a mirror and minutes; the reply schema is checked in its refusal form only.
    const payload = {
      target: '/etc/isoswarm-contract-test',
      suite: 'bookworm',
      mirror: 'http://deb.debian.org/debian',
    };
    assert.ok(CONTRACTS['performance-tuner'].bootstrap!.input.safeParse(payload).success);
    await assert.rejects(
      requestEndpoint(nc, PREFIX, 'performance-tuner', 'bootstrap', payload, 30_000),
      (e: Error & { code?: string }) => e.name === 'BusError' && e.code === 'refused',
    );
    await assert.rejects(
      requestEndpoint(nc, PREFIX, 'coordinator', 'bootstrap', payload, 30_000),
      (e: Error & { code?: string }) => e.code === 'refused',
    );
    checked.add('performance-tuner.bootstrap').add('coordinator.bootstrap');
  });

  test('coordinator farm blobs: a swarm that is not in a farm answers without a store', async () => {
    const f = (await check('coordinator', 'farm-blob-fetch', { key: 'k', dest: join(work, 'blob') })) as {
      found: boolean;
    };
    assert.equal(f.found, false);
    const p = (await check('coordinator', 'farm-blob-publish', {
      key: 'k',
      file: join(work, 'blob'),
      sha256: '0'.repeat(64),
    })) as { published: string };
    assert.equal(p.published, 'not-a-farm');
  });

  test('monitor: snapshot, watch and samples, direct and relayed', async () => {
    await check('monitor', 'snapshot', {});
    await check('monitor', 'watch', { runId: 'contracts-a', pid: process.pid });
    await check('monitor', 'samples', { runId: 'contracts-a' });
    await check('coordinator', 'monitor-snapshot', {});
    await check('coordinator', 'monitor-watch', { runId: 'contracts-b' });
    await check('coordinator', 'monitor-samples', { runId: 'contracts-b', stop: true });
    await check('monitor', 'samples', { runId: 'contracts-a', stop: true });
  });

  test('coordinator: memory, hook and status', async () => {
    const key = 'contract-test/a';
    await check('coordinator', 'memory-set', { key, value: { n: 1 } });
    await check('coordinator', 'memory-get', { key });
    await check('coordinator', 'memory-import', { entries: [{ key: 'contract-test/b', value: 2 }] });
    await check('coordinator', 'memory-record', { events: [{ kind: 'put', key: 'contract-test/c', value: 3 }] });
    const list = (await check('coordinator', 'memory-list', { prefix: 'contract-test/' })) as unknown[];
    assert.equal(list.length, 3);
    await check('coordinator', 'memory-query', { prefix: 'contract-test/', where: [] });
    await check('coordinator', 'memory-delete', { key });
    await check('coordinator', 'memory-stats', {});
    await check('coordinator', 'hook', {
      event: {
        hook: 'notification',
        id: `contracts-${Date.now()}`,
        at: new Date().toISOString(),
        source: 'cli',
        message: 'contract test',
      },
    });
    const deferred = (await check('coordinator', 'hook', {
      event: {
        hook: 'notification',
        id: `contracts-d-${Date.now()}`,
        at: new Date().toISOString(),
        source: 'cli',
        message: 'contract test, deferred',
      },
      deferred: true,
    })) as { stored: string };
    assert.equal(deferred.stored, 'stream');
    const st = (await check('coordinator', 'status', {})) as { agents: unknown[] };
    assert.equal(st.agents.length, 4);
  });

  test('coordinator: run registry and the command guard', async () => {
    // A run registered the way `isoswarm run` registers one, held by this (living) process.
    const runId = `contracts-run-${Date.now()}`;
    const { leaseMs, graceMs } = leaseTimes();
    const rec = {
      runId,
      name: 'contracts',
      command: ['true'],
      chroot: null,
      isolate: false,
      host: hostname(),
      startedAt: new Date().toISOString(),
      endedAt: null,
      exitCode: null,
      signal: null,
      phases: [],
    };
    const reg = {
      runId,
      name: 'contracts',
      chroot: null,
      keepOnFailure: false,
      aptCache: false,
      systemApplied: false,
      cli: refOf(process.pid)!,
      leaseMs,
      graceMs,
      record: rec,
    } as unknown as RegisteredRun;
    writeDurable(join(createRunDir(home, runId), 'run.json'), reg);
    const r = (await check('coordinator', 'run-register', { runId })) as { state: string; leaseMs: number };
    assert.equal(r.state, 'running');
    assert.equal(r.leaseMs, leaseMs);
    const runs = (await check('coordinator', 'runs', {})) as { runs: { runId: string; state: string }[] };
    assert.deepEqual(runs.runs.find((x) => x.runId === runId)?.state, 'running');
    const deny = (await check('coordinator', 'guard', { line: 'rm -rf /', cwd: '/' })) as {
      decision: string;
      findings: unknown[];
    };
    assert.equal(deny.decision, 'deny');
    assert.ok(deny.findings.length > 0);
    const allow = (await check('coordinator', 'guard', { line: 'ls -l', cwd: '/', exclude: [process.pid] })) as {
      decision: string;
    };
    assert.equal(allow.decision, 'allow');
  });

  test('every agent: health, and adoption by the running coordinator', async () => {
    const st = (await check('coordinator', 'status', {})) as {
      pid: number;
      agents: { name: ServiceName; pid: number }[];
    };
    const me = { pid: st.pid, startTime: startTimeOf(st.pid) };
    for (const a of st.agents) {
      await check(a.name, 'health', {});
      const r = (await check(a.name, adoptEndpointName(a.pid), { coordinator: me, host: hostname() })) as {
        supervisor: { pid: number };
      };
      assert.equal(r.supervisor.pid, st.pid);
    }
  });

  test('coordinator shutdown (last), and every contract was exercised', async () => {
    await check('coordinator', 'shutdown', {});
    const declared = Object.entries(CONTRACTS).flatMap(([s, eps]) => Object.keys(eps).map((e) => `${s}.${e}`));
    assert.deepEqual(
      declared.filter((e) => !checked.has(e)),
      [],
      'endpoints this test did not call',
    );
  });
});
