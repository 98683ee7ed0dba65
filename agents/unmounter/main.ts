// The Unmounter agent process.
import { agentMain } from '../../src/runtime/agent-process.js';
import { unmounterEndpoints } from './endpoints.js';

agentMain({
  name: 'unmounter',
  description: "isoswarm unmounter: ends a chroot's processes and unmounts everything under it, children first",
  endpoints: unmounterEndpoints,
});
