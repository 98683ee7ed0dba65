// The Monitor agent process.
import { agentMain } from '../../src/runtime/agent-process.js';

agentMain({ name: 'monitor', description: 'isoswarm monitor: samples CPU, memory, disks, temp size and build processes; raises threshold events', endpoints: () => ({}) });
