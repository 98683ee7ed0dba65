// A swarm a dry run started for itself (`cleanup --dry-run`, `unmount --dry-run`, ... with no swarm
// up) changes nothing on its own either: its Cleaner does not finish journalled deletes, its tuner
// does not remove scratch a killed tuner left, and its coordinator neither takes over lost runs nor
// acts on threshold alerts (the reactor's auto-cleanup).
// All of that waits for the next swarm that is not a dry run's.

/** Set in the coordinator's environment (and so its agents') by the CLI that starts the swarm. */
export const READ_ONLY_SWARM_ENV = 'ISOSWARM_READ_ONLY_SWARM';

export function readOnlySwarm(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[READ_ONLY_SWARM_ENV] === '1';
}
