// Pure: the environment a build should run with, and the shell lines that set it. The original
// exported these from a child process, so the build never saw them; here they are printed for the
// build's own shell to `eval`, or handed to `isoswarm run`, which sets them on the build's process.
import { mksquashfsArgs, type SquashChoice } from '../../src/host/squashfs/mksquashfs.js';
import { tmpfsAdvice } from '../../src/learning/tmpfs-rule.js';

export interface HostResources {
  threads: number;
  /** Memory available to new work (MemAvailable), bytes. */
  memAvailableBytes: number;
}

export interface Recommendation {
  parallelJobs: number;
  makeflags: string;
  xzDefaults: string;
  zstdThreads: number;
  mksquashfsOpts: string;
  tmpfs: { recommended: boolean; sizeBytes: number; reason: string };
}

/** Memory one parallel compile or compression job is allowed before jobs are capped. */
export const BYTES_PER_JOB = 1 << 30;

export function recommend(choice: SquashChoice, host: HostResources, treeBytes: number): Recommendation {
  const threads = Math.max(1, host.threads);
  const byMemory = Math.max(1, Math.floor(host.memAvailableBytes / BYTES_PER_JOB));
  const jobs = Math.min(threads, byMemory);
  // A tmpfs work dir when memory holds the tree twice (the rule `run --tmpfs-workdir` applies).
  const { recommended, sizeBytes, reason } = tmpfsAdvice(host.memAvailableBytes, treeBytes);
  return {
    parallelJobs: jobs,
    makeflags: `-j${jobs}`,
    xzDefaults: '-T0',
    zstdThreads: jobs,
    mksquashfsOpts: mksquashfsArgs(choice).join(' '),
    tmpfs: { recommended, sizeBytes, reason },
  };
}

/** POSIX single quotes: nothing inside is expanded; a quote is closed, escaped and reopened. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The variables as `export NAME='value'` lines (a comment for tmpfs, which is a mount, not a variable). */
export function formatExports(rec: Recommendation): string {
  const lines = Object.entries(exportEnv(rec)).map(([k, v]) => `export ${k}=${shellQuote(v)}`);
  if (rec.tmpfs.recommended)
    lines.push(
      `# tmpfs work dir recommended (${rec.tmpfs.reason}): size=${Math.round(rec.tmpfs.sizeBytes / 2 ** 20)}M`,
    );
  return `${lines.join('\n')}\n`;
}

/** The variables as an environment object, for a child process the swarm starts itself. */
export function exportEnv(rec: Recommendation): Record<string, string> {
  return {
    PARALLEL_JOBS: String(rec.parallelJobs),
    MAKEFLAGS: rec.makeflags,
    XZ_DEFAULTS: rec.xzDefaults,
    ZSTD_NBTHREADS: String(rec.zstdThreads),
    MKSQUASHFS_OPTS: rec.mksquashfsOpts,
  };
}
