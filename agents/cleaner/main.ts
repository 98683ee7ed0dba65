// The Cleaner agent process.
import { agentMain } from '../../src/runtime/agent-process.js';
import { cleanerEndpoints } from './endpoints.js';

agentMain({
  name: 'cleaner',
  description: 'isoswarm cleaner: deletes build trees, temp files, caches and stale locks by policy, never across a mount',
  endpoints: cleanerEndpoints,
});
