// The coordinator process: supervisor, memory owner, hook runner, reactor. One per host.
import { shutdownInput, statusInput } from '../schemas/agents/coordinator.js';
import { closeBus } from '../bus/connect.js';
import { ensureEventStream, streamBytesFor } from '../bus/jetstream.js';
import { readCredentials, type AgentRole } from '../bus/nats-auth.js';
import { readFarmCredentials } from '../bus/farm-auth.js';
import { endpoint, startService } from '../bus/service.js';
import { busHost } from '../bus/subjects.js';
import { ensureStateDir } from '../host/system/state-dir.js';
import { MemoryOps } from '../memory/operations.js';
import { MemoryStore } from '../memory/store.js';
import { VERSION } from '../version.js';
import { guardEndpoints } from './guard-endpoint.js';
import { hookEndpoints, ingestSpool, replayPendingHooks } from './hook-endpoint.js';
import { spoolPending } from '../hook-runtime/spool.js';
import { memoryEndpoints } from './memory-endpoints.js';
import { Supervisor } from './supervisor.js';
import { startReactor } from './reactor.js';
import { watchNotifications } from '../runtime/notify.js';
import { agentEndpoints } from './agent-endpoints.js';
import { startPatternSync } from '../farm/pattern-sync.js';
import { farmBlobEndpoints } from './farm-blob-endpoints.js';
import { adoptLiveAgents } from './adoption.js';
import { agentUsersFromEnv } from './agent-users.js';
import { serveUntilStopped, serviceMain, startServiceProcess } from '../runtime/service-process.js';
import { runEndpoints, startRunWatch, type RunWatch } from './run-watch.js';
import { announceAgentExits, hostDashboards, takeDashboardRequest } from './dashboard-host.js';
import { starterFromEnv, stopOwnServer, watchTemporarySwarm, type TemporaryWatch } from './temporary-swarm.js';
import { readOnlySwarm } from '../runtime/read-only-swarm.js';

async function main(): Promise<void> {
  const dashboardRequest = takeDashboardRequest(process.env);
  const { config, log, nc, prefix } = await startServiceProcess('coordinator', 'start the swarm with `isoswarm up`');
  const paths = ensureStateDir();
  // On the private server the store is in the state dir: the stream's limit fits that disk.
  const streamBytes = streamBytesFor(process.env.ISOSWARM_EMBEDDED === '1' ? paths.jetstream : null);
  await ensureEventStream(nc, prefix, streamBytes, config.farm.enabled ? config.farm.replicas : 1).catch((e: Error) => {
    throw new Error(
      `the event stream (${streamBytes} bytes) cannot be created on the disk holding ${paths.jetstream}: ${e.message}`,
    );
  });
  // The single writer while it runs; a CLI call writing directly just now is waited for.
  const store = await MemoryStore.openWriter(paths.memory, {
    mapSizeBytes: config.memory.mapSizeBytes,
    waitMs: 30_000,
  });
  const ops = new MemoryOps(store);
  const started = Date.now();
  // A farm: this host's learning goes to every host, and theirs comes into this LMDB.
  const patterns = config.farm.enabled
    ? await startPatternSync({ nc, prefix, host: busHost(), replicas: config.farm.replicas, ops, log })
    : null;

  // On the private server each agent gets its own role's password; on an external one, the same credentials.
  // On a farm, this host's role users (farm-credentials.json, see docs/farm.md) bind each agent to its host.
  const creds =
    process.env.ISOSWARM_EMBEDDED === '1' ? readCredentials(paths.root) : readFarmCredentials(process.env, busHost());
  // Agents started without their credentials would only fail and be restarted in a loop.
  if (process.env.ISOSWARM_EMBEDDED === '1' && !creds)
    throw new Error(
      `${paths.root}/credentials.json is unreadable or corrupted: the agents cannot be given their credentials; isoswarm down && isoswarm up generates new ones`,
    );
  const agentEnv = (name: string): NodeJS.ProcessEnv => {
    const c = creds?.[name as AgentRole];
    return c ? { ISOSWARM_NATS_USER: c.user, ISOSWARM_NATS_PASS: c.pass } : {};
  };
  const supervisor = new Supervisor(
    config.agents,
    { ...process.env, ISOSWARM_HOME: paths.root },
    config.supervisor,
    log,
    agentEnv,
    agentUsersFromEnv(process.env, config.agents),
  );
  let shuttingDown = false;
  // Assigned once the service is up; shutdown may run before that.
  // eslint-disable-next-line prefer-const
  let spoolPoll: NodeJS.Timeout | undefined;
  // One replay at a time: a spool poll and a reconnect must not run the same file twice.
  let replaying: Promise<void> = Promise.resolve();
  // Assigned once the service is up; shutdown may run before that.
  let reactor: Awaited<ReturnType<typeof startReactor>> | undefined;
  let runWatch: RunWatch | undefined;
  // eslint-disable-next-line prefer-const
  let stopDashboards: (() => Promise<void>) | undefined;
  let temporary: TemporaryWatch | undefined;
  let stopServerToo = false;
  const shutdown = async (why: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info(`coordinator stopping: ${why}`);
    temporary?.stop();
    await runWatch?.stop();
    await stopDashboards?.();
    clearInterval(spoolPoll);
    await replaying.catch(() => undefined);
    await reactor?.stop();
    await supervisor.stopAll();
    await patterns?.stop();
    await srv.stop().catch(() => undefined);
    await closeBus(nc);
    await store.close();
    if (stopServerToo)
      await stopOwnServer(paths, log).catch((e: Error) =>
        log.warn({ err: e.message }, 'stopping the private server failed'),
      );
    log.info('coordinator stopped');
  };

  const srv = await startService(nc, {
    name: 'coordinator',
    version: VERSION,
    prefix,
    description: 'isoswarm coordinator: supervisor, memory owner, hook runner, reactor',
    endpoints: {
      ...memoryEndpoints(ops),
      ...hookEndpoints(nc, config, ops, log),
      ...agentEndpoints(nc, config, supervisor),
      ...runEndpoints(paths),
      ...guardEndpoints(config),
      ...farmBlobEndpoints(nc, config, { prefix, host: busHost(), stateDir: paths.root }),
      status: endpoint({
        input: statusInput,
        handler: () => ({
          pid: process.pid,
          host: busHost(),
          uptimeMs: Date.now() - started,
          agents: supervisor.status(),
        }),
      }),
      shutdown: endpoint({
        input: shutdownInput,
        handler: () => {
          setTimeout(() => void shutdown('shutdown requested'), 10);
          return { stopping: true };
        },
      }),
    },
  });
  // Agents that outlived a killed coordinator are taken over, not duplicated.
  const { adopted } = await adoptLiveAgents(nc, config.agents, prefix, paths.root, log);
  announceAgentExits(nc, prefix, supervisor, config.agents);
  supervisor.start(adopted);
  // A dry run's swarm acts on no threshold alert (its auto-cleanup would delete): the durable
  // events wait for the next swarm.
  if (readOnlySwarm()) log.info('swarm started for a dry run: threshold alerts are left for the next swarm');
  else reactor = await startReactor(nc, config, ops, log, paths.root);
  // The coordinator shows every notification (agents' and the notification hook's) in its log.
  watchNotifications(nc, prefix, (n) => log.info({ notification: n }, `notification from ${n.source}: ${n.message}`));
  // Runs whose runner was lost (now or while no coordinator ran) are finished by the swarm.
  // A swarm a dry run started leaves them to the next one (it changes nothing on its own).
  if (readOnlySwarm()) log.info('swarm started for a dry run: lost runs are left for the next swarm');
  else {
    runWatch = startRunWatch(nc, prefix, paths, log);
    void runWatch.scan();
  }
  const starter = starterFromEnv();
  if (starter) {
    const rw = runWatch;
    temporary = watchTemporarySwarm({
      starter,
      paths,
      log,
      busy: () => rw?.busy() ?? false,
      takesNoRunsOver: rw === undefined,
      onIdle: (why) => {
        stopServerToo = true;
        void shutdown(why);
      },
    });
  }
  const replay = (why: string, pendingToo = true): Promise<void> =>
    (replaying = replaying.then(async () => {
      const replayed =
        (pendingToo
          ? await replayPendingHooks(nc, config, ops).catch(
              (e: Error) => (log.warn({ err: e.message }, 'replay of pending hook events failed'), 0),
            )
          : 0) +
        (await ingestSpool(nc, config, ops, paths, log).catch(
          (e: Error) => (log.warn({ err: e.message }, 'the hook spool could not be run'), 0),
        ));
      if (replayed)
        log.info({ replayed }, `hook events recorded while the swarm was unreachable are now in the stream (${why})`);
    }));
  await replay('start');
  stopDashboards = await hostDashboards(nc, config, paths, log, dashboardRequest);
  // During a NATS outage hooks are recorded locally: they reach the stream as soon as the bus is back.
  void (async () => {
    for await (const s of nc.status()) if (s.type === 'reconnect') await replay('reconnected');
  })();
  // A hook whose request timed out under load spools its event with the bus up: it lands within a second.
  spoolPoll = setInterval(() => {
    if (!shuttingDown && !nc.isClosed() && spoolPending(paths)) void replay('spooled', false);
  }, 1000);
  spoolPoll.unref();
  await serveUntilStopped(srv, shutdown);
}

serviceMain('coordinator', main);
