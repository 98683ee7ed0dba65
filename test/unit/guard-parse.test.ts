// The guard's reading of command lines (no host facts): which programs run, with which words, in
// which directory, through which wrappers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCommandLine, ShellParseError } from '../../src/guard/shell-parse.js';
import { expandBraces } from '../../src/guard/targets.js';
import { unwrap } from '../../src/guard/unwrap.js';

const home = '/home/u';
function programs(
  line: string,
  cwd: string | null = '/w',
): { name: string; args: (string | null)[]; cwd: string | null; via: string[] }[] {
  return parseCommandLine(line, { cwd, home })
    .flatMap((c) => unwrap(c, { home }))
    .map((i) => ({ name: i.name, args: i.args.map((a) => a.text), cwd: i.cwd, via: i.via }));
}

test('quoting, escapes, tilde and known expansions', () => {
  assert.deepEqual(programs(`rm -rf "a b" 'c d' e\\ f ~/x "$HOME"/y "$(pwd)"/z`).find((x) => x.name === 'rm')!.args, [
    '-rf',
    'a b',
    'c d',
    'e f',
    '/home/u/x',
    '/home/u/y',
    '/w/z',
  ]);
  assert.deepEqual(programs(`rm -rf $UNSET "\${X:-/}" $'a\\nb'`)[0]!.args, ['-rf', null, null, null]);
});

test('lists, pipes, subshells and substitutions; cd moves later relative paths', () => {
  const p = programs('cd /srv && rm -rf a; (cd sub; rm -rf b); rm -rf c | cat; echo $(rm -rf d)');
  assert.deepEqual(
    p.map((x) => [x.name, x.cwd]),
    [
      ['cd', '/w'],
      ['rm', '/srv'],
      ['cd', '/srv'],
      ['rm', '/srv/sub'],
      ['rm', '/srv'],
      ['cat', '/srv'],
      ['rm', '/srv'],
      ['echo', '/srv'],
    ],
  );
  assert.equal(programs('cd "$X" && rm -rf a')[1]!.cwd, null, 'an unknown cd makes relative paths unknown');
});

test('wrappers: sudo, env, nice, timeout, xargs, bash -c, sh -c, eval, su -c', () => {
  assert.deepEqual(programs('sudo -u root -E env -i A=1 nice -n 5 timeout 10 rm -rf /x')[0], {
    name: 'rm',
    args: ['-rf', '/x'],
    cwd: '/w',
    via: ['sudo', 'env', 'nice', 'timeout'],
  });
  assert.equal(programs('sudo -D /srv rm -rf a')[0]!.cwd, '/srv');
  assert.deepEqual(
    programs(`bash -ec "cd /t && sh -c 'umount -l x'"`).map((x) => [x.name, x.cwd, x.args.join(' ')]),
    [
      ['cd', '/w', '/t'],
      ['umount', '/t', '-l x'],
    ],
  );
  assert.equal(programs('eval rm -rf /x')[0]!.name, 'rm');
  assert.equal(programs(`su -c 'rm -rf /x' root`)[0]!.name, 'rm');
  assert.deepEqual(
    programs('find /a -print0 | xargs -0 -n 5 rm -rf').map((x) => x.name),
    ['find', 'rm'],
  );
});

test('not run: echo, comments, heredoc bodies; loops run per item; variables assigned earlier are known', () => {
  assert.deepEqual(
    programs('echo rm -rf / # rm -rf /\ncat <<EOF\nrm -rf /\nEOF').map((x) => x.name),
    ['echo', 'cat'],
  );
  assert.deepEqual(
    programs('for d in proc sys; do umount $d; done').map((x) => x.args[0]),
    ['proc', 'sys'],
  );
  assert.deepEqual(programs('X=/m; export Y="$X/c"; rm -rf $Y')[0]!.args, ['-rf', '/m/c']);
});

test('unparseable input is an error the guard turns into "allow with a note"; braces expand like bash', () => {
  assert.throws(() => parseCommandLine('rm -rf "x', { cwd: '/', home }), ShellParseError);
  assert.deepEqual(expandBraces('/a/{b,c{d,e}}/f'), ['/a/b/f', '/a/cd/f', '/a/ce/f']);
  assert.deepEqual(expandBraces('/a/{b}/\\{c,d}'), ['/a/{b}/\\{c,d}']);
});
