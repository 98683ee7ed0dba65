// The Cleaner agent process. On start it finishes deletes a killed run left half done (trash that
// was moved aside and journalled but not yet deleted), unless a dry run started the swarm.
import { join } from 'node:path';
import { effectivePolicy } from '../../src/runtime/policy.js';
import { agentMain } from '../../src/runtime/agent-process.js';
import { readOnlySwarm } from '../../src/runtime/read-only-swarm.js';
import { cleanerEndpoints } from './endpoints.js';
import { resumeUnfinished } from './resume.js';

agentMain({
  name: 'cleaner',
  description:
    'isoswarm cleaner: deletes build trees, temp files, caches and stale locks by policy, never across a mount',
  endpoints: cleanerEndpoints,
  background: (ctx) => {
    if (readOnlySwarm()) {
      ctx.log.info('swarm started for a dry run: interrupted deletes are left for the next swarm');
      return undefined;
    }
    resumeUnfinished({
      journalDir: join(ctx.stateDir, 'journal', 'cleaner'),
      policy: effectivePolicy(ctx.config),
      log: ctx.log,
    })
      .then((done) => done.length && ctx.log.info({ resumed: done.length }, 'finished deletes an interrupted run left'))
      .catch((e: Error) => ctx.log.warn({ err: e.message }, 'could not finish interrupted deletes'));
    return undefined;
  },
});
