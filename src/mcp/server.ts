// The one owner of @modelcontextprotocol/sdk: `isoswarm mcp` over stdio. stdout carries JSON-RPC
// only, so everything else this process might print goes to stderr.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { VERSION } from '../version.js';
import type { McpContext } from './swarm-calls.js';
import { ACTION_TOOLS } from './tools-actions.js';
import { READ_TOOLS, type ToolDef } from './tools-read.js';

/** console.* writes to stdout by default: in an MCP server that would corrupt the stream. */
function keepStdoutForJsonRpc(): void {
  const toErr = (...a: unknown[]) =>
    process.stderr.write(`${a.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' ')}\n`);
  console.log = toErr;
  console.info = toErr;
  console.debug = toErr;
  console.warn = toErr;
}

function register(server: McpServer, t: ToolDef, ctx: McpContext): void {
  server.registerTool(
    t.name,
    { description: t.description, inputSchema: t.input },
    async (args: Record<string, unknown>) => {
      try {
        const out = await t.run(args, ctx);
        return {
          content: [{ type: 'text' as const, text: typeof out === 'string' ? out : JSON.stringify(out, null, 2) }],
        };
      } catch (e) {
        return { content: [{ type: 'text' as const, text: (e as Error).message }], isError: true };
      }
    },
  );
}

export async function serveMcp(ctx: McpContext, actions: boolean): Promise<void> {
  keepStdoutForJsonRpc();
  const server = new McpServer({ name: 'isoswarm', version: VERSION });
  for (const t of READ_TOOLS) register(server, t, ctx);
  if (actions) for (const t of ACTION_TOOLS) register(server, t, ctx);
  const transport = new StdioServerTransport();
  await server.connect(transport);
  await new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
}
