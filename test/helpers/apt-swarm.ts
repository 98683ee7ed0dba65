// A swarm for apt cache tests of what a run asks and stores: a scratch dir in its path policy, a
// host apt cache with one package, a client to its coordinator, and readers of the memory records
// a run's detach changes. Call inside a describe: it registers its own before and after.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { after, before } from 'node:test';
import { requestEndpoint } from '../../src/bus/request.js';
import { postTask } from '../../src/run/post-task.js';
import type { RunRecordInput } from '../../src/schemas/run-record.js';
import { rawClient } from './bus.js';
import { cliSync, removeScratch, scratchHome, teardownHome, testEnv } from './cli.js';
import { makeDeb } from './debs.js';

type Entry = { action?: string; chroot?: string };
type Call = <T>(ep: string, payload: unknown) => Promise<T>;

export function aptSwarm(tag: string) {
  const home = scratchHome(tag);
  const scratch = realpathSync(mkdtempSync(`/tmp/isoswarm-test-${tag}-`));
  const apt = `${scratch}/apt`;
  const debs = `${scratch}/debs`;
  const env = testEnv(home, { ISOSWARM_CONFIG: `${home}/config.json` });
  const chroots: string[] = [];
  let nc: Awaited<ReturnType<typeof rawClient>> | undefined;
  before(async () => {
    mkdirSync(apt);
    mkdirSync(debs);
    writeFileSync(`${apt}/old_1.0_amd64.deb`, readFileSync(makeDeb(debs, 'old', '1.0', 20_000)));
    writeFileSync(
      `${home}/config.json`,
      JSON.stringify({ policy: { safePrefixes: [scratch], deny: [] }, caches: { aptDir: apt } }),
    );
    const up = cliSync(env, ['up'], undefined, 60_000);
    assert.equal(up.code, 0, up.stderr);
    nc = await rawClient(home);
  });
  after(async () => {
    await nc?.close();
    for (const c of chroots) if (existsSync(c)) cliSync(env, ['unmount', c], undefined, 60_000);
    teardownHome(home);
    removeScratch(scratch);
  });

  /** A request to the coordinator; one with a short `timeoutMs` gives up while the swarm still does it. */
  const coordinator = <T>(ep: string, payload: unknown, timeoutMs = 120_000): Promise<T> =>
    requestEndpoint<T>(nc!, 'isoswarm', 'coordinator', ep, payload, timeoutMs);
  const memory = <T>(key: string): Promise<T | null> =>
    coordinator<{ value: T }>('memory-get', { key }).then(
      (r) => r.value,
      () => null,
    );
  return {
    scratch,
    apt,
    debs,
    env,
    coordinator,
    /** A dir under the scratch for a chroot (unmounted after the tests, whatever they left). */
    chroot(name: string): string {
      const c = `${scratch}/${name}`;
      mkdirSync(c);
      chroots.push(c);
      return c;
    },
    /** The cache-detach-failed lessons stored for `chroot`. */
    lessons: async (chroot: string) =>
      ((await memory<{ entries?: Entry[] }>('optimization/error-prevention'))?.entries ?? []).filter(
        (e) => e.action === 'cache-detach' && e.chroot === chroot,
      ),
    /** Builds counted in the apt cache's effectiveness record. */
    builds: async () =>
      (await memory<{ builds?: number }>('optimization/caching-effectiveness/apt-archives'))?.builds ?? 0,
    /** The run's own post-task for `chroot` (its build attached the apt cache), through `call`. */
    async postTask(chroot: string, call: Call = coordinator, runId = `${tag}-${Date.now()}`): Promise<RunRecordInput> {
      const r: RunRecordInput = {
        runId,
        name: tag,
        command: ['true'],
        chroot,
        isolate: false,
        startedAt: new Date().toISOString(),
        endedAt: null,
        exitCode: 0,
        signal: null,
        notes: [],
      };
      await postTask(call, {
        runId: r.runId,
        name: r.name,
        chroot,
        keepOnFailure: false,
        aptCache: true,
        systemApplied: false,
        dir: null,
        record: r,
        patterns: new Set(),
      });
      return r;
    },
  };
}
