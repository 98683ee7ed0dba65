// How long a run's runner may be silent before the swarm takes the run over, and how long the build's
// process group gets between SIGTERM and SIGKILL. Environment overrides keep tests quick.
export const DEFAULT_LEASE_MS = 10_000;
export const DEFAULT_GRACE_MS = 10_000;

function fromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv): number {
  const raw = env[name];
  const v = Number(raw);
  return raw !== undefined && raw !== '' && Number.isFinite(v) && v >= 100 ? v : fallback;
}

export function leaseTimes(env: NodeJS.ProcessEnv = process.env): { leaseMs: number; graceMs: number } {
  return {
    leaseMs: fromEnv('ISOSWARM_RUN_LEASE_MS', DEFAULT_LEASE_MS, env),
    graceMs: fromEnv('ISOSWARM_RUN_GRACE_MS', DEFAULT_GRACE_MS, env),
  };
}
