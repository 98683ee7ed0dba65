// The guard inside the coordinator: the shell parser stays loaded here, so a hook with the swarm up
// gets a verdict in one bus round trip instead of starting the parser in every hook process.
import { endpoint, type EndpointMap } from '../bus/service.js';
import { judgeCommandLine } from '../guard/guard.js';
import { effectivePolicy } from '../runtime/policy.js';
import { guardInput } from '../schemas/agents/coordinator-runs-guard.js';
import type { Config } from '../schemas/config.js';

export function guardEndpoints(config: Config): EndpointMap {
  // The parser loads on the first guard request, not at start: kept loaded it adds ~16 MB to the
  // heap, which costs a swarm that never judges a command ~10 % of its peak hook throughput.
  return {
    guard: endpoint({
      input: guardInput,
      handler: ({ line, cwd, exclude }) => judgeCommandLine(line, { cwd, policy: effectivePolicy(config), exclude }),
    }),
  };
}
