// Hooks through the built CLI: honest exit codes, a bounded call with the swarm down, durable
// events with the swarm up, and Claude Code payloads on stdin.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { cli, cliSync, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { rawClient } from '../helpers/bus.js';

function listKeys(env: NodeJS.ProcessEnv, prefix: string): string[] {
  const r = cliSync(env, ['memory', 'list', '--prefix', prefix, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { key: string }[]).map((e) => e.key);
}

describe('hooks with the swarm down', () => {
  const home = scratchHome('hooks-down');
  const env = testEnv(home);
  after(() => teardownHome(home));

  test('a hook returns within its bound (no wait for a swarm that is not there), exits 0 with a one-line warning, and is in the memory', () => {
    const r = cliSync(env, ['hooks', 'notification', '--message', 'squashfs done', '--level', 'info']);
    assert.equal(r.code, 0, r.stderr);
    // A bound against hangs, not a speed target: latency is bench/hook-latency's (a loaded 2-core host
    // can take over a second just to start node).
    assert.ok(r.ms < 5000, `took ${r.ms} ms`);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /swarm is down/);
    const keys = listKeys(env, 'notifications/');
    assert.equal(keys.length, 1);
    const v = JSON.parse(cliSync(env, ['memory', 'get', keys[0]!]).stdout) as { message: string };
    assert.equal(v.message, 'squashfs done');
    assert.equal(listKeys(env, 'hooks/pending/').length, 1, 'the event waits for the stream');
  });

  test('bad input gets a clear error and a non-zero exit', () => {
    // Hooks never exit 2: Claude Code would treat it as a blocking error.
    const unknown = cliSync(env, ['hooks', 'pre-edit']);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown hook "pre-edit"/);
    const badJson = cliSync(env, ['hooks', 'post-edit'], '{"tool_name": "Edit", ');
    assert.equal(badJson.code, 1);
    assert.match(badJson.stderr, /stdin is not a JSON hook payload/);
    const badLevel = cliSync(env, ['hooks', 'notify', '--message', 'x', '--level', 'loud']);
    assert.equal(badLevel.code, 1);
    const badFlag = cliSync(env, ['hooks', 'notify', '--bogus']);
    assert.equal(badFlag.code, 1);
    const handlerFails = cliSync(env, ['hooks', 'post-edit']);
    assert.equal(handlerFails.code, 1);
    assert.match(handlerFails.stderr, /post-edit hook failed: post-edit needs a file/);
    const badValue = cliSync(env, ['memory', 'set', 'a/b', 'not json']);
    assert.equal(badValue.code, 2);
    assert.match(badValue.stderr, /not valid JSON/);
    const badRecord = cliSync(env, ['memory', 'set', 'optimization/unmount-strategies/tmpfs', '{"fsType": 3}']);
    assert.equal(badRecord.code, 2);
    assert.match(badRecord.stderr, /invalid value for optimization\/unmount-strategies\/tmpfs/);
  });

  test('8 x 10 concurrent hook processes: every one exits 0 and is recorded exactly once', async () => {
    const before = listKeys(env, 'notifications/').length;
    // Eight writers, ten calls each, all at once: an editor saving many files, a parallel make.
    const runs = (
      await Promise.all(
        Array.from({ length: 8 }, (_, w) =>
          Promise.all(
            Array.from({ length: 10 }, (_, i) => cli(env, ['hooks', 'notify', '--message', `burst-${w}-${i}`])),
          ),
        ),
      )
    ).flat();
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    const ms = runs.map((r) => r.ms).sort((a, b) => a - b);
    console.log(
      `# hook burst: 80 calls, p50 ${ms[39]!.toFixed(0)} ms, p99 ${ms[78]!.toFixed(0)} ms, max ${ms[79]!.toFixed(0)} ms, spooled ${runs.filter((r) => /memory was busy/.test(r.stderr)).length}`,
    );
    // A read drains what the burst spooled, so every event is there once.
    const r = cliSync(env, ['memory', 'list', '--prefix', 'notifications/', '--json']);
    const messages = (JSON.parse(r.stdout) as { value: { message: string } }[])
      .map((e) => e.value.message)
      .filter((m) => m.startsWith('burst-'));
    assert.equal(messages.length, 80, 'every event recorded');
    assert.equal(new Set(messages).size, 80, 'none recorded twice');
    assert.equal(listKeys(env, 'notifications/').length - before, 80);
    assert.equal(listKeys(env, 'hooks/drained/').length, 0);
  });
});

describe('hooks with the swarm up', () => {
  const home = scratchHome('hooks-up');
  const env = testEnv(home);
  after(() => teardownHome(home));

  test('pre-task then post-task reports the duration; events are in the stream', async () => {
    // An event recorded while down reaches the stream when the swarm comes up.
    assert.equal(cliSync(env, ['hooks', 'notify', '--message', 'while down']).code, 0);
    assert.equal(cliSync(env, ['up']).code, 0);
    const pre = cliSync(env, ['hooks', 'pre-task', '--task-id', 't1', '--description', 'build']);
    assert.equal(pre.code, 0, pre.stderr);
    assert.equal(pre.stderr, '', 'no warning with the swarm up');
    await new Promise((r) => setTimeout(r, 300));
    const post = cliSync(env, ['hooks', 'post-task', '--task-id', 't1', '--json']);
    assert.equal(post.code, 0, post.stderr);
    const res = JSON.parse(post.stdout) as { message: string; stored: string; data: { durationMs: number } };
    assert.equal(res.stored, 'stream');
    assert.ok(res.data.durationMs >= 300, `duration ${res.data.durationMs}`);
    assert.match(res.message, /task t1 took \d+\.\d+ s/);
    const nc = await rawClient(home);
    try {
      const jsm = await nc.jetstreamManager();
      const info = await jsm.streams.info('ISOSWARM_EVENTS');
      assert.equal(info.state.messages, 3, 'the replayed event, pre-task and post-task');
    } finally {
      await nc.close();
    }
    assert.equal(listKeys(env, 'hooks/pending/').length, 0);
  });

  test('a Claude Code PostToolUse payload on stdin is read', () => {
    const payload = JSON.stringify({
      session_id: 's1',
      hook_event_name: 'PostToolUse',
      tool_name: 'Edit',
      tool_input: { file_path: '/src/build.sh' },
      cwd: '/src',
    });
    const r = cliSync(env, ['hooks', 'post-edit', '--memory-key', 'builds/last-edit'], payload);
    assert.equal(r.code, 0, r.stderr);
    const v = JSON.parse(cliSync(env, ['memory', 'get', 'edits/src/build.sh']).stdout) as {
      count: number;
      lastTool: string;
    };
    assert.equal(v.count, 1);
    assert.equal(v.lastTool, 'Edit');
    assert.equal(
      (JSON.parse(cliSync(env, ['memory', 'get', 'builds/last-edit']).stdout) as { file: string }).file,
      '/src/build.sh',
    );
  });

  test('a failing handler exits 1 with the reason, also through the swarm', () => {
    const r = cliSync(env, ['hooks', 'notification']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /notification needs a message/);
  });

  test('8 x 10 concurrent hook processes with the swarm up: every one recorded', async () => {
    const before = listKeys(env, 'notifications/').length;
    const runs = await Promise.all(
      Array.from({ length: 80 }, (_, i) => cli(env, ['hooks', 'notify', '--message', `m${i}`])),
    );
    for (const r of runs) assert.equal(r.code, 0, r.stderr);
    // On a loaded machine some calls time out and spool their event: the coordinator runs the
    // spool within a second or so.
    const spooled = runs.filter((r) => /spooled/.test(r.stderr)).length;
    const deadline = Date.now() + 30_000;
    while (listKeys(env, 'notifications/').length - before < 80 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 250));
    assert.equal(listKeys(env, 'notifications/').length - before, 80, `${spooled} spooled`);
  });
});
