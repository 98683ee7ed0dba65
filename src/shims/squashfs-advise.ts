// The one question both squashfs-facing shims (mksquashfs, live-build's lb) ask the swarm: which
// options to run for this call, under the run's policy and mode (ISOSWARM_SQUASHFS, ISOSWARM_TUNE_MODE).
// `baseline` names the options that would run without the tuner (a builder's default, a script's own
// -comp): the tuner measures it and anchors the aggressive size bound to it.
import type { NatsConnection } from '../bus/connect.js';

export interface SquashfsAdvice {
  callId: string;
  ran: string[];
  changed: string[];
  tuned: { label: string } | null;
  note?: string;
}

export async function askSquashfsAdvice(
  nc: NatsConnection,
  prefix: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
  args: string[],
  baseline?: string[],
): Promise<SquashfsAdvice> {
  const { requestEndpoint } = await import('../bus/request.js');
  return requestEndpoint<SquashfsAdvice>(
    nc,
    prefix,
    'coordinator',
    'squashfs-advise',
    {
      runId: env.ISOSWARM_RUN_ID ?? null,
      cwd,
      args,
      policy: env.ISOSWARM_SQUASHFS ?? 'fill',
      mode: env.ISOSWARM_TUNE_MODE ?? 'auto',
      ...(baseline ? { baseline } : {}),
      pid: process.pid,
    },
    Number(env.ISOSWARM_SHIM_ADVISE_MS ?? 30 * 60_000),
  );
}
