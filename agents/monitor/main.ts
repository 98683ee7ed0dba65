// The Monitor agent process: samples /proc and statfs (cheap enough for 1 Hz), raises threshold events.
import { agentMain } from '../../src/runtime/agent-process.js';
import { monitorEndpoints } from './endpoints.js';
import { Watcher } from './watcher.js';

let watcher: Watcher | null = null;

agentMain({
  name: 'monitor',
  description: 'isoswarm monitor: samples CPU, memory, disks, temp size and build processes; raises threshold events',
  endpoints: (ctx) => {
    watcher = new Watcher(ctx);
    return monitorEndpoints(watcher);
  },
  background: () => {
    watcher?.start();
    return () => watcher?.stop();
  },
});
