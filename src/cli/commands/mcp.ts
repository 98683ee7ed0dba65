// isoswarm mcp: an MCP server on stdio for coding agents (read tools; actions with claude.mcpActions).
import type { Command } from 'commander';
import type { GlobalOptions } from '../context.js';

export function registerMcp(program: Command, globals: () => GlobalOptions): void {
  program
    .command('mcp')
    .description(
      'serve the Model Context Protocol on stdin/stdout: memory, patterns, status, runs, the guard and teardown/cleanup plans; unmount and cleanup actions only with config claude.mcpActions = true. stdout carries JSON-RPC only; logs go to stderr',
    )
    .action(async () => {
      const { cliContext } = await import('../context.js');
      const ctx = cliContext(globals());
      const { serveMcp } = await import('../../mcp/server.js');
      await serveMcp(ctx, ctx.config.claude.mcpActions);
    });
}
