// The MCP server's actions, offered only when config claude.mcpActions is on. They go through the
// same agents as the CLI: the Unmounter and Cleaner check the path policy themselves, whoever asks.
import { z } from 'zod';
import type { ToolDef } from './tools-read.js';
import { withCoordinator } from './swarm-calls.js';

export const ACTION_TOOLS: ToolDef[] = [
  {
    name: 'unmount',
    description:
      'Take a chroot apart: end the processes rooted in it, unmount everything under it children first, verify. Refused by the path policy outside the safe prefixes.',
    input: { target: z.string() },
    run: (a, ctx) =>
      withCoordinator(ctx, (call) => call<unknown>('teardown', { target: String(a.target) }, 30 * 60_000)),
  },
  {
    name: 'cleanup',
    description:
      'Tear a build tree down and delete it, never across a mount. Refused by the path policy outside the safe prefixes.',
    input: { target: z.string() },
    run: (a, ctx) =>
      withCoordinator(ctx, async (call) => {
        const t = String(a.target);
        const teardown = await call<{
          result: { status: string; reason?: string } | null;
          plan: { refused: { reason: string } | null };
        }>('teardown', { target: t }, 30 * 60_000);
        if (teardown.plan.refused) return { status: 'refused', reason: teardown.plan.refused.reason };
        if (teardown.result?.status !== 'done')
          return {
            status: teardown.result?.status ?? 'failed',
            reason: `not deleted: the teardown did not finish: ${teardown.result?.reason ?? 'unknown'}`,
          };
        return call<unknown>('clean', { targets: [{ path: t, kind: 'tree' }] }, 6 * 3600_000);
      }),
  },
];
