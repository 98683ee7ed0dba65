// Taking build trees apart, then deleting them, for `isoswarm run` (after the build) and
// `isoswarm cleanup`: every tree is torn down first (processes, mounts, loops), and only a tree the
// Unmounter finished goes on to the Cleaner; cache, temp and lock targets go straight to it.
import { replyOrRefusal } from '../schemas/bus-error.js';
import type { CleanupTarget } from '../schemas/config.js';

export type CoordinatorCall = <T>(endpoint: string, payload: unknown) => Promise<T>;
type Guard = <T>(what: string, fn: () => Promise<T>) => Promise<T | null>;

interface TeardownLike {
  result: { status: string; reason?: string } | null;
}

export interface TeardownThenCleanOptions<TD> {
  /** False: tear down only, delete nothing (a kept chroot is kept unmounted). */
  clean?: boolean;
  progressToken?: string;
  /** Called from a build's own script (ISOSWARM_RUN_ID): that run's build lock lets the requests by. */
  forRun?: string;
  onTeardown?(path: string, reply: TD | null): void;
  /** Wraps each request: the run turns a failed request into a note and goes on; the CLI lets it throw. */
  guard?: Guard;
}

export interface TeardownThenClean<TD, CL> {
  teardowns: Record<string, TD | null>;
  clean: CL | null;
  /** Trees not deleted because their teardown did not finish. */
  blocked: { path: string; status: 'refused' | 'failed'; reason: string }[];
}

export async function teardownThenClean<TD extends TeardownLike, CL>(
  call: CoordinatorCall,
  targets: readonly CleanupTarget[],
  opts: TeardownThenCleanOptions<TD> = {},
): Promise<TeardownThenClean<TD, CL>> {
  const guard: Guard = opts.guard ?? ((_what, fn) => fn());
  const teardowns: Record<string, TD | null> = {};
  for (const t of targets.filter((x) => x.kind === 'tree')) {
    const payload = { target: t.path, ...(opts.forRun ? { forRun: opts.forRun } : {}) };
    teardowns[t.path] = await guard('teardown', () => replyOrRefusal(call<TD>('teardown', payload)));
    opts.onTeardown?.(t.path, teardowns[t.path] ?? null);
  }
  const ready = targets.filter((t) => t.kind !== 'tree' || teardowns[t.path]?.result?.status === 'done');
  const blocked = targets
    .filter((t) => !ready.includes(t))
    .map((t) => {
      const r = teardowns[t.path]?.result;
      return {
        path: t.path,
        status: r?.status === 'refused' ? ('refused' as const) : ('failed' as const),
        reason: r?.reason ?? 'no result',
      };
    });
  let clean: CL | null = null;
  if (opts.clean !== false && ready.length) {
    const payload = {
      targets: ready,
      ...(opts.progressToken ? { progressToken: opts.progressToken } : {}),
      ...(opts.forRun ? { forRun: opts.forRun } : {}),
    };
    clean = await guard('clean', () => replyOrRefusal(call<CL>('clean', payload)));
  }
  return { teardowns, clean, blocked };
}
