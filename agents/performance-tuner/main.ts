// The PerformanceTuner agent process.
import { agentMain } from '../../src/runtime/agent-process.js';
import { tunerEndpoints } from './endpoints.js';

agentMain({
  name: 'performance-tuner',
  description:
    'isoswarm performance tuner: measures compression, parallelism and caches per host and remembers what works',
  endpoints: tunerEndpoints,
});
