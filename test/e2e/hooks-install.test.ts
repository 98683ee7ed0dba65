// `isoswarm hooks install|uninstall` on real settings files: the user's own hooks are kept, a second
// install changes nothing, --dry-run writes nothing and shows a diff, and uninstall restores the
// original byte for byte.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { cliSync, removeScratch, scratchHome, testEnv } from '../helpers/cli.js';

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
];
// Four-space indent, a trailing comment-free key order and no final newline: not how we would write it.
const USER =
  '{\n    "model": "opus",\n    "hooks": {\n        "PostToolUse": [{"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "prettier --write \\"$FILE\\""}]}],\n        "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}]\n    },\n    "permissions": {"allow": ["Bash(ls:*)"]}\n}';

describe('hooks install / uninstall', () => {
  const home = scratchHome('hooks-install');
  after(() => removeScratch(home));
  const env = testEnv(home, { HOME: home });
  const run = (args: string[], cwd: string) =>
    cliSync({ ...env }, ['hooks', ...args, '--settings', `${cwd}/.claude/settings.json`]);

  test('keeps the user hooks, is idempotent, backs up, dry-runs as a diff, and uninstall restores byte for byte', () => {
    const dir = `${home}/proj`;
    mkdirSync(`${dir}/.claude`, { recursive: true });
    const file = `${dir}/.claude/settings.json`;
    writeFileSync(file, USER);
    const dry = run(['install', '--dry-run'], dir);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^\+ .*"command": "isoswarm hooks claude"/m);
    assert.equal(readFileSync(file, 'utf8'), USER, '--dry-run writes nothing');
    assert.deepEqual(readdirSync(`${dir}/.claude`), ['settings.json']);

    assert.equal(run(['install'], dir).code, 0);
    const installed = readFileSync(file, 'utf8');
    const s = JSON.parse(installed) as {
      model: string;
      permissions: unknown;
      hooks: Record<string, { matcher?: string; hooks: { command: string; async?: boolean }[] }[]>;
    };
    assert.equal(s.model, 'opus');
    assert.deepEqual(s.permissions, { allow: ['Bash(ls:*)'] });
    assert.ok(
      s.hooks.PostToolUse!.some((g) => g.hooks[0]!.command.startsWith('prettier')),
      'user PostToolUse hook kept',
    );
    assert.ok(
      s.hooks.Stop!.some((g) => g.hooks[0]!.command === 'notify-send done'),
      'user Stop hook kept',
    );
    for (const ev of EVENTS)
      assert.equal(
        s.hooks[ev]!.filter((g) => g.hooks.some((h) => h.command === 'isoswarm hooks claude')).length,
        1,
        ev,
      );
    assert.equal(s.hooks.PreToolUse!.find((g) => g.hooks[0]!.command === 'isoswarm hooks claude')!.matcher, 'Bash');
    assert.equal(
      s.hooks.PostToolUse!.find((g) => g.hooks[0]!.command === 'isoswarm hooks claude')!.hooks[0]!.async,
      true,
      'post-* hooks run async',
    );
    assert.equal(readFileSync(`${file}.isoswarm-backup`, 'utf8'), USER, 'backup of the original');

    const again = run(['install'], dir);
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already installed/);
    assert.equal(readFileSync(file, 'utf8'), installed, 'idempotent');

    const udry = run(['uninstall', '--dry-run'], dir);
    assert.match(udry.stdout, /^- .*"command": "isoswarm hooks claude"/m);
    assert.equal(readFileSync(file, 'utf8'), installed);
    assert.equal(run(['uninstall'], dir).code, 0);
    assert.equal(readFileSync(file, 'utf8'), USER, 'byte for byte');
    assert.deepEqual(readdirSync(`${dir}/.claude`), ['settings.json'], 'no backup or record left');
  });

  test('edits made after install are kept by uninstall; a file that did not exist is removed again', () => {
    const dir = `${home}/proj2`;
    mkdirSync(dir);
    const file = `${dir}/.claude/settings.json`;
    assert.equal(run(['install'], dir).code, 0);
    assert.ok(existsSync(file));
    assert.equal(run(['uninstall'], dir).code, 0);
    assert.equal(existsSync(`${dir}/.claude`), false, 'created dir removed');

    assert.equal(run(['install'], dir).code, 0);
    const s = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    s.model = 'sonnet';
    writeFileSync(file, JSON.stringify(s, null, 2));
    assert.equal(run(['uninstall'], dir).code, 0);
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { model: 'sonnet' });
  });

  test('--user writes ~/.claude/settings.json; a broken file is refused with exit 2 and left alone', () => {
    const r = cliSync(env, ['hooks', 'install', '--user']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(existsSync(`${home}/.claude/settings.json`));
    assert.equal(cliSync(env, ['hooks', 'uninstall', '--user']).code, 0);
    assert.equal(existsSync(`${home}/.claude`), false);
    const dir = `${home}/broken`;
    mkdirSync(`${dir}/.claude`, { recursive: true });
    writeFileSync(`${dir}/.claude/settings.json`, '{"hooks": ');
    const bad = run(['install'], dir);
    assert.equal(bad.code, 2, 'bad input');
    assert.match(bad.stderr, /not valid JSON/);
    assert.equal(readFileSync(`${dir}/.claude/settings.json`, 'utf8'), '{"hooks": ');
    assert.equal(cliSync(env, ['hooks', 'install', '--user', '--project']).code, 2);
  });
});
