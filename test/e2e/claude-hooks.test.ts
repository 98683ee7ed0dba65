// `isoswarm hooks claude` with every Claude Code event (and an unknown one) against a running swarm:
// exit codes and stdout per the hook protocol, the raw event kept in the durable stream, the guard's
// deny for a destructive Bash command, and memory context on SessionStart / UserPromptSubmit.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { cliSync, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';
import { rawClient } from '../helpers/bus.js';

const EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PermissionRequest',
  'PostToolUse',
  'PostToolUseFailure',
  'Notification',
  'Stop',
  'SubagentStop',
  'PreCompact',
  'SessionEnd',
  'SomethingNew',
];

function payload(name: string, extra: Record<string, unknown> = {}): string {
  const base: Record<string, unknown> = {
    session_id: 'sess-1',
    transcript_path: '/tmp/t.jsonl',
    cwd: '/tmp',
    hook_event_name: name,
  };
  if (/Tool|Permission/.test(name))
    Object.assign(base, { tool_name: 'Read', tool_input: { file_path: '/etc/hostname' }, tool_response: { ok: true } });
  if (name === 'UserPromptSubmit') base.prompt = 'build the live image';
  if (name === 'Notification') base.message = 'Claude needs your permission';
  return JSON.stringify({ ...base, ...extra });
}

async function streamEvents(home: string): Promise<Record<string, unknown>[]> {
  const nc = await rawClient(home);
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info('ISOSWARM_EVENTS');
    const out: Record<string, unknown>[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage('ISOSWARM_EVENTS', { seq });
      out.push(JSON.parse(new TextDecoder().decode(m.data)) as Record<string, unknown>);
    }
    return out;
  } finally {
    await nc.close();
  }
}

describe('Claude Code hook events with the swarm up', () => {
  const home = scratchHome('claude-hooks');
  const env = testEnv(home);
  before(() => assert.equal(cliSync(env, ['up']).code, 0));
  after(() => teardownHome(home));

  test('every event (and an unknown one) exits 0, answers valid JSON or nothing, and lands raw in the stream', async () => {
    for (const name of EVENTS) {
      const r = cliSync(env, ['hooks', 'claude'], payload(name));
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      if (r.stdout.trim()) {
        const a = JSON.parse(r.stdout) as { hookSpecificOutput?: { hookEventName?: string } };
        assert.equal(a.hookSpecificOutput?.hookEventName, name, `${name} answers for itself`);
      }
      assert.equal(r.stderr, '', `${name}: no warning with the swarm up`);
    }
    const events = await streamEvents(home);
    const claude = events.filter((e) => e.source === 'claude-code');
    assert.equal(claude.length, EVENTS.length);
    for (const name of EVENTS) {
      const e = claude.find((x) => (x.extra as { hookEventName?: string }).hookEventName === name);
      assert.ok(e, `${name} is in the stream`);
      const raw = (e.extra as { claude: Record<string, unknown>; known: boolean }).claude;
      assert.equal(raw.session_id, 'sess-1');
      assert.equal(raw.transcript_path, '/tmp/t.jsonl');
      assert.equal((e.extra as { known: boolean }).known, name !== 'SomethingNew');
    }
    const kinds = Object.fromEntries(claude.map((e) => [(e.extra as { hookEventName: string }).hookEventName, e.hook]));
    assert.deepEqual(kinds, {
      SessionStart: 'pre-task',
      UserPromptSubmit: 'pre-task',
      PreToolUse: 'notification',
      PermissionRequest: 'notification',
      PostToolUse: 'notification',
      PostToolUseFailure: 'notification',
      Notification: 'notification',
      Stop: 'post-task',
      SubagentStop: 'notification',
      PreCompact: 'notification',
      SessionEnd: 'post-task',
      SomethingNew: 'notification',
    });
    const edit = cliSync(
      env,
      ['hooks', 'claude'],
      payload('PostToolUse', { tool_name: 'Edit', tool_input: { file_path: '/tmp/x.sh' } }),
    );
    assert.equal(edit.code, 0, edit.stderr);
    assert.equal((await streamEvents(home)).at(-1)!.hook, 'post-edit');
  });

  test('PreToolUse Bash: a destructive command gets permissionDecision deny on exit 0; a harmless one no answer', async () => {
    const deny = cliSync(
      env,
      ['hooks', 'claude'],
      payload('PreToolUse', { tool_name: 'Bash', tool_input: { command: 'sudo rm -rf / --no-preserve-root' } }),
    );
    assert.equal(deny.code, 0, deny.stderr);
    const a = JSON.parse(deny.stdout) as { hookSpecificOutput: Record<string, string> };
    assert.equal(a.hookSpecificOutput.hookEventName, 'PreToolUse');
    assert.equal(a.hookSpecificOutput.permissionDecision, 'deny');
    assert.match(a.hookSpecificOutput.permissionDecisionReason!, /root directory/);
    const last = (await streamEvents(home)).at(-1)!;
    assert.equal((last.extra as { guard: { decision: string } }).guard.decision, 'deny');
    const allow = cliSync(
      env,
      ['hooks', 'claude'],
      payload('PreToolUse', { tool_name: 'Bash', tool_input: { command: 'ls -la && git status' } }),
    );
    assert.equal(allow.code, 0, allow.stderr);
    assert.equal(allow.stdout, '', 'no "allow" answer: Claude Code keeps its own permission prompt');
  });

  test('SessionStart and UserPromptSubmit carry the memory as additionalContext, with evidence counts; a config switch turns it off', () => {
    const rec = {
      target: '/tmp/build/chroot',
      runs: 4,
      successes: 3,
      refusals: 1,
      failures: 0,
      bytesFreed: 1000,
      lastStatus: 'done',
      lastDurationMs: 1200,
      updatedAt: new Date().toISOString(),
    };
    assert.equal(
      cliSync(env, ['memory', 'set', 'optimization/cleanup-success/tmp-build', JSON.stringify(rec)]).code,
      0,
    );
    for (const name of ['SessionStart', 'UserPromptSubmit']) {
      const r = cliSync(env, ['hooks', 'claude'], payload(name, { cwd: '/tmp/build' }));
      assert.equal(r.code, 0, r.stderr);
      const ctx = (JSON.parse(r.stdout) as { hookSpecificOutput: { additionalContext: string } }).hookSpecificOutput
        .additionalContext;
      assert.match(ctx, /Cleanup of \/tmp\/build\/chroot: 3\/4 done.*\(evidence: 4 runs\)/);
      assert.ok(ctx.split(/\s+/).length <= 250, 'bounded');
    }
    const cfg = `${home}/no-context.json`;
    writeFileSync(
      cfg,
      JSON.stringify({ claude: { guard: true, context: false, contextMaxWords: 250, mcpActions: false } }),
    );
    const off = cliSync(
      { ...env, ISOSWARM_CONFIG: cfg },
      ['hooks', 'claude'],
      payload('SessionStart', { cwd: '/tmp/build' }),
    );
    assert.equal(off.code, 0, off.stderr);
    assert.equal(off.stdout, '');
  });

  test('isoswarm guard: exit 0 allow, 3 deny with the safe command, 2 for bad usage; --json', () => {
    const ok = cliSync(env, ['guard', '--cwd', '/tmp', '--', 'ls -la']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), 'allow');
    const no = cliSync(env, ['guard', '--json', '--', 'cd / && rm -rf usr']);
    assert.equal(no.code, 3);
    const v = JSON.parse(no.stdout) as { decision: string; reasons: string[] };
    assert.equal(v.decision, 'deny');
    assert.match(v.reasons[0]!, /\/usr/);
    assert.equal(cliSync(env, ['guard']).code, 2);
    assert.equal(cliSync(env, ['guard', '--cwd', 'relative', '--', 'ls']).code, 2);
    const bad = cliSync(env, ['hooks', 'claude'], 'not json');
    assert.equal(bad.code, 1, 'never 2 for our own failure');
  });
});
