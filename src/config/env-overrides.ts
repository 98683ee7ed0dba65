// Environment variables the request names, mapped onto config fields with strict parsing.
export interface EnvOverride {
  field: string; // dotted config path
  value: unknown;
  source: string; // e.g. "env OPTIMIZATION_ENABLED"
}

export class ConfigError extends Error {
  constructor(
    readonly field: string,
    readonly source: string,
    message: string,
  ) {
    super(`config field "${field}" from ${source}: ${message}`);
    this.name = 'ConfigError';
  }
}

function bool(envName: string, field: string, raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(field, `env ${envName}`, `expected true/false, got "${raw}"`);
}

const BOOLEANS: Record<string, string> = {
  OPTIMIZATION_ENABLED: 'optimizationEnabled',
  CLEANUP_AUTO_TRIGGER: 'cleanupAutoTrigger',
  PERFORMANCE_MONITORING: 'performanceMonitoring',
};

export function envOverrides(env: NodeJS.ProcessEnv): EnvOverride[] {
  const out: EnvOverride[] = [];
  for (const [name, field] of Object.entries(BOOLEANS)) {
    const raw = env[name];
    if (raw !== undefined && raw !== '') out.push({ field, value: bool(name, field, raw), source: `env ${name}` });
  }
  const jobs = env.PARALLEL_JOBS?.trim();
  if (jobs) {
    const n = Number(jobs);
    if (jobs !== 'auto' && !(/^\d+$/.test(jobs) && n >= 1 && n <= 1024)) {
      throw new ConfigError(
        'parallelJobs',
        'env PARALLEL_JOBS',
        `expected "auto" or a whole number from 1 to 1024, got "${jobs}"`,
      );
    }
    out.push({ field: 'parallelJobs', value: jobs === 'auto' ? 'auto' : n, source: 'env PARALLEL_JOBS' });
  }
  const host = env.ISOSWARM_HOST?.trim();
  if (host) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(host))
      throw new ConfigError(
        'host',
        'env ISOSWARM_HOST',
        `a host name is one NATS subject token (letters, digits, _ and -), got "${host}"`,
      );
    out.push({ field: 'host', value: host, source: 'env ISOSWARM_HOST' });
  }
  if (env.ISOSWARM_FARM)
    out.push({
      field: 'farm.enabled',
      value: bool('ISOSWARM_FARM', 'farm.enabled', env.ISOSWARM_FARM),
      source: 'env ISOSWARM_FARM',
    });
  const replicas = env.ISOSWARM_FARM_REPLICAS?.trim();
  if (replicas) {
    if (!/^[1-5]$/.test(replicas))
      throw new ConfigError('farm.replicas', 'env ISOSWARM_FARM_REPLICAS', `expected 1 to 5, got "${replicas}"`);
    out.push({ field: 'farm.replicas', value: Number(replicas), source: 'env ISOSWARM_FARM_REPLICAS' });
  }
  if (env.NATS_URL) out.push({ field: 'nats.url', value: env.NATS_URL, source: 'env NATS_URL' });
  if (env.ISOSWARM_SUBJECT_PREFIX && !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(env.ISOSWARM_SUBJECT_PREFIX)) {
    throw new ConfigError(
      'nats.subjectPrefix',
      'env ISOSWARM_SUBJECT_PREFIX',
      'NATS subject tokens: letters, digits, _ and -',
    );
  }
  if (env.ISOSWARM_SUBJECT_PREFIX) {
    out.push({
      field: 'nats.subjectPrefix',
      value: env.ISOSWARM_SUBJECT_PREFIX,
      source: 'env ISOSWARM_SUBJECT_PREFIX',
    });
  }
  return out;
}
