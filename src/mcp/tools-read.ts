// The MCP server's read tools: the memory, what was learned and why, the swarm's status, runs and
// their reports, the guard's verdict, and teardown/cleanup *plans* (dry runs: nothing changes).
import { existsSync } from 'node:fs';
import { z } from 'zod';
import { patternLines } from '../claude/memory-context.js';
import { decisionsKey } from '../learning/decisions.js';
import { explainEntry } from '../learning/explain.js';
import { MemoryOps } from '../memory/operations.js';
import { MemoryStore } from '../memory/store.js';
import { effectivePolicy } from '../runtime/policy.js';
import { ToolError, withCoordinator, type McpContext } from './swarm-calls.js';
import { listRuns, resolveRun } from '../report/run-store.js';
import { infoAll, statsAll } from '../bus/discovery.js';
import { renderMarkdown } from '../report/render-md.js';
import { judgeCommandLine } from '../guard/guard.js';

export interface ToolDef {
  name: string;
  description: string;
  input: z.ZodRawShape;
  run(args: Record<string, unknown>, ctx: McpContext): Promise<unknown>;
}

function withReader<T>(ctx: McpContext, fn: (ops: MemoryOps) => T): T | null {
  if (!existsSync(`${ctx.paths.memory}/data.mdb`)) return null;
  const store = MemoryStore.open(ctx.paths.memory, { mapSizeBytes: ctx.config.memory.mapSizeBytes, readOnly: true });
  try {
    return fn(new MemoryOps(store));
  } finally {
    void store.close();
  }
}

const limit = z.number().int().min(1).max(1000).optional();

export const READ_TOOLS: ToolDef[] = [
  {
    name: 'patterns_query',
    description:
      'Learned optimization patterns (optimization/* records), optionally filtered: where = ["strategies.umount.successes>=1"].',
    input: { prefix: z.string().optional(), where: z.array(z.string()).optional(), limit },
    run: async (a, ctx) => {
      const prefix = `optimization/${String(a.prefix ?? '').replace(/^optimization\//, '')}`;
      return (
        withReader(ctx, (ops) =>
          ops.query(prefix, (a.where as string[] | undefined) ?? [], (a.limit as number | undefined) ?? 100),
        ) ?? []
      );
    },
  },
  {
    name: 'patterns_explain',
    description: 'One learned pattern in words, with its record, its evidence count and the runs that updated it.',
    input: { key: z.string() },
    run: async (a, ctx) => {
      const key = String(a.key);
      const e = withReader(ctx, (ops) => ops.get(key) ?? null);
      if (!e) throw new ToolError(`no memory entry "${key}"`);
      const log = withReader(ctx, (ops) => ops.get(decisionsKey(key))?.value ?? null);
      const x = explainEntry(key, e.value, e.updatedAt, (log ?? undefined) as Parameters<typeof explainEntry>[3]);
      const runs = listRuns(ctx.paths.runs)
        .filter((r) => r.record?.patternsUpdated.includes(key))
        .map((r) => ({ runId: r.runId, startedAt: r.record!.startedAt, exitCode: r.record!.exitCode }));
      return {
        key,
        sentence: patternLines([e], null)[0]?.line ?? null,
        updatedAt: e.updatedAt,
        record: e.value,
        measurements: x.measurements,
        decisions: x.decisions,
        updatedByRuns: runs,
      };
    },
  },
  {
    name: 'memory_get',
    description: 'One memory entry by key.',
    input: { key: z.string() },
    run: async (a, ctx) => {
      const e = withReader(ctx, (ops) => ops.get(String(a.key)) ?? null);
      if (!e) throw new ToolError(`no memory entry "${String(a.key)}"`);
      return e;
    },
  },
  {
    name: 'memory_list',
    description: 'Memory keys under a prefix, with their update times.',
    input: { prefix: z.string().optional(), limit },
    run: async (a, ctx) =>
      withReader(ctx, (ops) =>
        ops
          .list(String(a.prefix ?? ''), (a.limit as number | undefined) ?? 200)
          .map((e) => ({ key: e.key, updatedAt: e.updatedAt })),
      ) ?? [],
  },
  {
    name: 'status',
    description: "The swarm: each service (name, pid, requests, errors) and the supervisor's view of the agents.",
    input: {},
    run: (_a, ctx) =>
      withCoordinator(ctx, async (call, nc) => {
        const [infos, stats] = await Promise.all([infoAll(nc, 500), statsAll(nc, 500)]);
        const agents = await call<unknown>('status', {}).catch(() => null);
        return {
          services: infos.map((i) => {
            const eps = stats.find((s) => s.id === i.id)?.endpoints ?? [];
            return {
              name: i.name,
              id: i.id,
              pid: Number(i.metadata?.pid ?? 0) || null,
              version: i.version,
              requests: eps.reduce((n, e) => n + e.num_requests, 0),
              errors: eps.reduce((n, e) => n + e.num_errors, 0),
            };
          }),
          supervisor: agents,
        };
      }),
  },
  {
    name: 'run_list',
    description: 'Recorded build runs (newest last): id, name, start, exit code, duration.',
    input: {},
    run: async (_a, ctx) => {
      return listRuns(ctx.paths.runs).map((r) => ({
        runId: r.runId,
        name: r.record?.name ?? null,
        startedAt: r.record?.startedAt ?? null,
        exitCode: r.record?.exitCode ?? null,
        error: r.error ?? null,
      }));
    },
  },
  {
    name: 'run_report',
    description: 'A run\'s report as Markdown (run = id or "latest").',
    input: { run: z.string().optional() },
    run: async (a, ctx) => {
      try {
        return renderMarkdown(resolveRun(ctx.paths.runs, String(a.run ?? 'latest')).record);
      } catch (e) {
        throw new ToolError((e as Error).message);
      }
    },
  },
  {
    name: 'guard_check',
    description:
      "Would isoswarm's guard allow this shell command line here? Judged against the live mounts, chroot processes and path policy.",
    input: { command: z.string(), cwd: z.string().optional() },
    run: async (a, ctx) => {
      const cwd = typeof a.cwd === 'string' && a.cwd.startsWith('/') ? a.cwd : process.cwd();
      const v = await judgeCommandLine(String(a.command), { cwd, policy: effectivePolicy(ctx.config) });
      return { decision: v.decision, reasons: v.reasons, safeCommands: v.safeCommands, notes: v.notes };
    },
  },
  {
    name: 'unmount_plan',
    description: 'The teardown plan for a chroot (processes to end, mounts in order) without doing it.',
    input: { target: z.string() },
    run: (a, ctx) =>
      withCoordinator(ctx, (call) =>
        call<{ text: string; plan: unknown }>('teardown', { target: String(a.target), dryRun: true }, 60_000).then(
          (r) => ({ text: r.text, plan: r.plan }),
        ),
      ),
  },
  {
    name: 'cleanup_plan',
    description:
      'The cleanup plan for a build tree (teardown, then what would be deleted and its size) without doing it.',
    input: { target: z.string() },
    run: (a, ctx) =>
      withCoordinator(ctx, async (call) => {
        const t = String(a.target);
        const teardown = await call<{ text: string; plan: { refused: unknown } }>(
          'teardown',
          { target: t, dryRun: true },
          60_000,
        );
        const clean = teardown.plan.refused
          ? null
          : await call<{ text: string; plan: unknown }>('clean-plan', { targets: [{ path: t, kind: 'tree' }] }, 60_000);
        return { teardown: { text: teardown.text, plan: teardown.plan }, clean };
      }),
  },
];
