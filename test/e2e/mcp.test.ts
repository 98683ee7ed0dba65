// `isoswarm mcp` driven by the MCP SDK's own client over stdio: the tool list, every read tool called
// against a running swarm, actions only behind claude.mcpActions, and a stdout stream that is pure
// JSON-RPC (captured with tee between the server and the client).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { saveRunRecord } from '../../src/report/run-store.js';
import { CLI, cliSync, scratchHome, teardownHome, testEnv } from '../helpers/cli.js';

const READ = [
  'patterns_query',
  'patterns_explain',
  'memory_get',
  'memory_list',
  'status',
  'run_list',
  'run_report',
  'guard_check',
  'unmount_plan',
  'cleanup_plan',
];

async function connect(env: NodeJS.ProcessEnv, tee: string): Promise<Client> {
  const transport = new StdioClientTransport({
    command: 'bash',
    args: ['-o', 'pipefail', '-c', `"${process.execPath}" "${CLI}" mcp | tee "${tee}"`],
    env: env as Record<string, string>,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'isoswarm-test', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

const text = (r: unknown): string => (r as { content: { text: string }[] }).content[0]?.text ?? '';

function assertPureJsonRpc(file: string): number {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  for (const l of lines) {
    const m = JSON.parse(l) as { jsonrpc?: string };
    assert.equal(m.jsonrpc, '2.0', `not a JSON-RPC message on stdout: ${l.slice(0, 200)}`);
  }
  return lines.length;
}

describe('isoswarm mcp', () => {
  const home = scratchHome('mcp');
  const env = testEnv(home);
  before(() => {
    assert.equal(cliSync(env, ['up']).code, 0);
    const rec = {
      fsType: 'proc',
      strategies: { umount: { attempts: 3, successes: 3, totalMs: 12 } },
      updatedAt: new Date().toISOString(),
    };
    assert.equal(cliSync(env, ['memory', 'set', 'optimization/unmount-strategies/proc', JSON.stringify(rec)]).code, 0);
    mkdirSync(`${home}/runs`, { recursive: true });
    saveRunRecord(`${home}/runs`, {
      runId: 'r1',
      name: 'bookworm-live',
      command: ['./build.sh'],
      chroot: `${home}/tree`,
      isolate: false,
      startedAt: '2026-01-01T00:00:00.000Z',
      endedAt: '2026-01-01T00:01:00.000Z',
      exitCode: 0,
      signal: null,
      patternsUpdated: ['optimization/unmount-strategies/proc'],
    });
  });
  after(() => teardownHome(home));

  test('lists a small set of read tools, answers each one, and writes only JSON-RPC to stdout', async () => {
    const tee = `${home}/mcp-stdout.jsonl`;
    const client = await connect(env, tee);
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name).sort();
      assert.deepEqual(tools, [...READ].sort(), 'no actions without claude.mcpActions');
      mkdirSync(`${home}/tree`);
      const calls: Record<string, Record<string, unknown>> = {
        patterns_query: { where: ['strategies.umount.successes>=1'] },
        patterns_explain: { key: 'optimization/unmount-strategies/proc' },
        memory_get: { key: 'optimization/unmount-strategies/proc' },
        memory_list: { prefix: 'optimization/' },
        status: {},
        run_list: {},
        run_report: { run: 'r1' },
        guard_check: { command: 'rm -rf /', cwd: '/tmp' },
        unmount_plan: { target: `${home}/tree` },
        cleanup_plan: { target: `${home}/tree` },
      };
      const out: Record<string, string> = {};
      for (const name of READ) {
        const r = await client.callTool({ name, arguments: calls[name] });
        assert.ok(!r.isError, `${name}: ${text(r)}`);
        out[name] = text(r);
      }
      assert.match(out.patterns_query!, /unmount-strategies\/proc/);
      const ex = JSON.parse(out.patterns_explain!) as { sentence: string; updatedByRuns: { runId: string }[] };
      assert.match(ex.sentence, /umount worked 3\/3 \(evidence: 3 attempts\)/);
      assert.deepEqual(
        ex.updatedByRuns.map((r) => r.runId),
        ['r1'],
      );
      assert.match(out.memory_list!, /optimization\/unmount-strategies\/proc/);
      const st = JSON.parse(out.status!) as { services: { name: string }[] };
      assert.deepEqual(st.services.map((s) => s.name).sort(), [
        'cleaner',
        'coordinator',
        'monitor',
        'performance-tuner',
        'unmounter',
      ]);
      assert.match(out.run_list!, /bookworm-live/);
      assert.match(out.run_report!, /bookworm-live/);
      assert.equal((JSON.parse(out.guard_check!) as { decision: string }).decision, 'deny');
      assert.match(out.unmount_plan!, /tree/);
      assert.ok(existsSync(`${home}/tree`), 'a plan changes nothing');
      const missing = await client.callTool({ name: 'memory_get', arguments: { key: 'no/such' } });
      assert.equal(missing.isError, true);
    } finally {
      await client.close();
    }
    assert.ok(assertPureJsonRpc(tee) >= 12);
  });

  test('actions appear only with claude.mcpActions, and go through the agents and the path policy', async () => {
    const cfg = `${home}/actions.json`;
    writeFileSync(
      cfg,
      JSON.stringify({ claude: { guard: true, context: true, contextMaxWords: 250, mcpActions: true } }),
    );
    const tee = `${home}/mcp-actions.jsonl`;
    const client = await connect({ ...env, ISOSWARM_CONFIG: cfg }, tee);
    try {
      const tools = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(tools.includes('unmount') && tools.includes('cleanup'));
      const tree = `/tmp/${home.split('/').pop()}-victim`;
      mkdirSync(`${tree}/sub`, { recursive: true });
      writeFileSync(`${tree}/sub/f`, 'x');
      const r = await client.callTool({ name: 'cleanup', arguments: { target: tree } });
      assert.ok(!r.isError, text(r));
      assert.equal(existsSync(tree), false, text(r));
      const refused = await client.callTool({ name: 'cleanup', arguments: { target: '/usr' } });
      assert.match(text(refused), /refused|top-level|protected/);
      assert.ok(existsSync('/usr/bin'));
    } finally {
      await client.close();
    }
    assertPureJsonRpc(tee);
  });
});
