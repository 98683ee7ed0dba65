// V8 flags for one agent's process, put before its entry script on the command line.
// The Monitor is idle between its 1 Hz samples, and its whole process is held to <= 0.3 % of a core
// (bench/monitor-bench). Measured A/B on its first minute with nothing to walk (notes of the bench):
// - V8's memory reducer runs two full GCs ~15 s after start-up (to give back the heap that loading
//   nats, zod and pino grew): ~60 ms of CPU, about half the agent's first minute. --no-memory-reducer
//   skips them; alone it keeps ~9 MB more resident.
// - --max-semi-space-size=1 keeps the young generation at 1 MB, so that start-up does not grow the heap
//   the reducer would have shrunk: with both, RSS is within ~2 MB of the default.
// The other agents do bursts of work on request, where these trade-offs are not worth it.
const FLAGS: Readonly<Record<string, readonly string[]>> = {
  monitor: ['--no-memory-reducer', '--max-semi-space-size=1'],
};

export function agentNodeFlags(name: string): string[] {
  return [...(FLAGS[name] ?? [])];
}
