// Property test over the wire: random JSON (fast-check) to EVERY endpoint of every service, as listed
// by the standard $SRV.INFO — arbitrary JSON values, objects built from the field names the schemas
// use with values of the wrong types, huge strings, deep nesting, bytes that are not JSON. Each
// request gets an envelope reply (data or error) within its bound, and afterwards every service
// answers PING with the same PID (nothing crashed, nothing restarted).
// Non-destructive by construction: every string in a payload is turned into one path component under
// a scratch dir that does not exist, so a payload that happens to be a valid teardown or clean names
// nothing real. `coordinator.shutdown` is left out: stopping on `{}` is what it is for.
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { NatsConnection } from 'nats';
import { pingNames, rawClient, SUBJ } from '../helpers/bus.js';
import { cliSync, scratchHome, testEnv } from '../helpers/cli.js';
import { finishHome } from '../helpers/home-processes.js';

const PER_ENDPOINT = 30;
const SEED = Number(process.env.FUZZ_SEED ?? 20_260_101);
const SKIP = new Set([`${SUBJ}.coordinator.shutdown`]);
const FIELDS = [
  'target',
  'targets',
  'path',
  'kind',
  'limitBytes',
  'maxAgeSec',
  'dryRun',
  'graceMs',
  'allowLazy',
  'progressToken',
  'trigger',
  'mode',
  'force',
  'benchmark',
  'action',
  'buildDir',
  'runId',
  'pid',
  'stop',
  'key',
  'value',
  'prefix',
  'limit',
  'where',
  'entries',
  'events',
  'event',
  'hook',
  'id',
  'at',
  'source',
  'coordinator',
  'host',
  'startTime',
  'message',
  'level',
  'name',
];
// Enum values that get a payload past validation into the handlers (never `apply`, never a real path).
const WORDS = [
  'tree',
  'temp',
  'cache',
  'locks',
  'auto',
  'conservative',
  'aggressive',
  'status',
  'notification',
  'pre-task',
  'post-edit',
  'post-task',
  'cli',
  'summary',
  'put',
  'info',
];

interface Endpoint {
  service: string;
  subject: string;
}

/** Every string becomes one harmless path component below `absent` (which does not exist). */
function defang(v: unknown, absent: string): unknown {
  if (typeof v === 'string') return WORDS.includes(v) ? v : `${absent}/${v.replace(/[/.\0]/g, '_') || '_'}`;
  if (Array.isArray(v)) return v.map((x) => defang(x, absent));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, defang(x, absent)]));
  return v;
}

function payloads(absent: string, n: number, seed: number): Uint8Array[] {
  const enc = (v: unknown) => new TextEncoder().encode(JSON.stringify(defang(v, absent)));
  const leaf = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(...WORDS),
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
  );
  const shaped = fc.letrec((tie) => ({
    obj: fc.dictionary(
      fc.constantFrom(...FIELDS),
      fc.oneof({ depthSize: 'small' }, leaf, tie('obj'), fc.array(tie('obj'), { maxLength: 3 })),
      { maxKeys: 6 },
    ),
  })).obj;
  const values = [
    ...fc.sample(fc.jsonValue(), { numRuns: Math.ceil(n * 0.4), seed }),
    ...fc.sample(shaped, { numRuns: Math.ceil(n * 0.4), seed: seed + 1 }),
  ].map(enc);
  let deep: unknown = 1;
  for (let i = 0; i < 4000; i++) deep = i % 2 ? [deep] : { value: deep };
  // Hand-made extremes, already harmless (relative, non-existent paths): not defanged.
  const raw = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  values.push(
    raw({
      key: 'fuzz/huge',
      value: 'x'.repeat(1_500_000),
      target: 'y'.repeat(100_000),
      targets: [{ path: 'z'.repeat(5000), kind: 'tree' }],
    }),
    raw({ key: 'fuzz/deep', value: deep, event: deep, targets: deep }),
    new TextEncoder().encode('{"target": '),
    new Uint8Array([0xff, 0xfe, 0x00, 0x7b]),
    new Uint8Array(0),
    raw([[[[]]]]),
  );
  // The extremes always go, random ones fill the rest.
  return [...values.slice(-6), ...values.slice(0, n - 6)];
}

async function endpoints(nc: NatsConnection): Promise<Endpoint[]> {
  const out: Endpoint[] = [];
  for await (const m of await nc.requestMany('$SRV.INFO', new Uint8Array(0), { maxWait: 1000 } as never)) {
    const v = JSON.parse(new TextDecoder().decode(m.data)) as { name: string; endpoints: { subject: string }[] };
    for (const e of v.endpoints) out.push({ service: v.name, subject: e.subject });
  }
  return out;
}

describe('random JSON to every endpoint of every service', () => {
  const home = scratchHome('fuzz');
  const scratch = realpathSync(mkdtempSync('/tmp/isoswarm-test-fuzz-data-'));
  let nc: NatsConnection;
  before(async () => {
    assert.equal(cliSync(testEnv(home, { TMPDIR: scratch }), ['up']).code, 0);
    nc = await rawClient(home, 'coordinator');
  });
  after(async () => {
    await nc?.close().catch(() => undefined);
    assert.deepEqual(await finishHome(home), []);
    rmSync(scratch, { recursive: true, force: true });
  });

  test(`${PER_ENDPOINT} payloads per endpoint: an envelope reply each, within bound; every service still up with its PID (seed ${SEED})`, async () => {
    const pidsBefore = new Map((await pingNames(nc)).map((s) => [s.name, s.pid]));
    assert.equal(pidsBefore.size, 5);
    const eps = (await endpoints(nc)).filter((e) => !SKIP.has(e.subject));
    assert.ok(eps.length >= 30, `endpoints: ${eps.map((e) => e.subject).join(' ')}`);
    const cases = payloads(`${scratch}/absent`, PER_ENDPOINT, SEED);
    const failures: string[] = [];
    let errors = 0;
    let oks = 0;
    let slowest = { ms: 0, subject: '' };
    for (const ep of eps) {
      for (const [i, data] of cases.entries()) {
        const t = performance.now();
        try {
          const m = await nc.request(ep.subject, data, { timeout: 15_000 });
          const ms = performance.now() - t;
          if (ms > slowest.ms) slowest = { ms, subject: ep.subject };
          const body = JSON.parse(new TextDecoder().decode(m.data)) as {
            ok?: unknown;
            error?: { code?: unknown; message?: unknown };
          };
          if (body.ok === true) oks++;
          else if (
            body.ok === false &&
            typeof body.error?.code === 'string' &&
            typeof body.error.message === 'string' &&
            m.headers?.get('Nats-Service-Error-Code')
          )
            errors++;
          else failures.push(`${ep.subject} #${i}: not an envelope: ${JSON.stringify(body).slice(0, 200)}`);
        } catch (e) {
          failures.push(
            `${ep.subject} #${i}: ${(e as Error).message} after ${(performance.now() - t).toFixed(0)} ms; payload ${new TextDecoder().decode(data).slice(0, 120)}`,
          );
        }
      }
    }
    assert.deepEqual(failures, []);
    assert.ok(errors > oks, `mostly refusals expected (errors ${errors}, ok ${oks})`);
    const pidsAfter = new Map((await pingNames(nc)).map((s) => [s.name, s.pid]));
    assert.deepEqual(pidsAfter, pidsBefore, 'every service answers PING with the same PID');
    process.stderr.write(
      `fuzz: ${eps.length} endpoints x ${cases.length} payloads: ${errors} error replies, ${oks} ok, slowest ${slowest.ms.toFixed(0)} ms (${slowest.subject})\n`,
    );
  });
});
