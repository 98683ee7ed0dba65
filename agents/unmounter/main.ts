// The Unmounter agent process.
import { agentMain } from '../../src/runtime/agent-process.js';

agentMain({ name: 'unmounter', description: 'isoswarm unmounter: ends a chroot\'s processes and unmounts everything under it, children first', endpoints: () => ({}) });
