// Every endpoint's wire contract in one place: input and output schema per service and endpoint, and
// the coordinator's route map (endpoint → input, output, timeout) that typed requests are keyed by.
import type { z } from 'zod';
import type { ServiceName } from '../../bus/subjects.js';
import { adoptInput, adoptOutput, healthInput, healthOutput } from './agent-common.js';
import * as cleaner from './cleaner.js';
import * as coordinator from './coordinator.js';
import * as runsGuard from './coordinator-runs-guard.js';
import * as farm from './coordinator-farm.js';
import * as monitor from './monitor.js';
import * as tuner from './performance-tuner.js';
import * as roots from './performance-tuner-roots.js';
import * as cacheAdmin from './performance-tuner-cache-admin.js';
import { AGENT_ROUTES, relayTimeoutMs, type AgentRouteName } from './routes.js';
import * as unmounter from './unmounter.js';

export interface Contract<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
}

const c = <I extends z.ZodType, O extends z.ZodType>(input: I, output: O): Contract<I, O> => ({ input, output });

/** Every agent process also registers these (`adopt` as `adopt-<pid>`, see contractName). */
const COMMON = { health: c(healthInput, healthOutput), adopt: c(adoptInput, adoptOutput) } as const;

export const AGENT_CONTRACTS = {
  cleaner: {
    plan: c(cleaner.cleanPlanInput, cleaner.cleanPlanOutput),
    clean: c(cleaner.cleanInput, cleaner.cleanOutput),
  },
  unmounter: {
    plan: c(unmounter.unmountPlanInput, unmounter.unmountPlanOutput),
    teardown: c(unmounter.teardownInput, unmounter.teardownOutput),
  },
  'performance-tuner': {
    tune: c(tuner.tuneInput, tuner.tuneOutput),
    system: c(tuner.systemInput, tuner.systemOutput),
    'cache-attach': c(tuner.cacheInput, tuner.cacheAttachOutput),
    'cache-detach': c(tuner.cacheInput, tuner.cacheDetachOutput),
    bootstrap: c(tuner.bootstrapInput, tuner.bootstrapOutput),
    'cache-suspend': c(tuner.cacheInput, tuner.cacheSuspendOutput),
    'cache-resume': c(tuner.cacheInput, tuner.cacheResumeOutput),
    'squashfs-advise': c(tuner.adviseInput, tuner.squashfsAdviseOutput),
    'squashfs-report': c(tuner.reportInput, tuner.squashfsReportOutput),
    'squashfs-calls': c(tuner.squashfsCallsInput, tuner.squashfsCallsOutput),
    'root-advise': c(roots.rootAdviseInput, roots.rootAdviseOutput),
    'root-store': c(roots.rootStoreInput, roots.rootStoreOutput),
    'root-calls': c(roots.rootCallsInput, roots.rootCallsOutput),
    'cache-ls': c(cacheAdmin.cacheLsInput, cacheAdmin.cacheLsOutput),
    'cache-why': c(cacheAdmin.cacheWhyInput, cacheAdmin.cacheWhyOutput),
    'cache-prune': c(cacheAdmin.cachePruneInput, cacheAdmin.cachePruneOutput),
  },
  monitor: {
    snapshot: c(monitor.snapshotInput, monitor.snapshotOutput),
    watch: c(monitor.watchInput, monitor.watchOutput),
    samples: c(monitor.samplesInput, monitor.samplesOutput),
  },
} as const;

type AgentContracts = typeof AGENT_CONTRACTS;
type RelayContract<K extends AgentRouteName> = AgentContracts[(typeof AGENT_ROUTES)[K]['service'] &
  keyof AgentContracts] extends infer S
  ? (typeof AGENT_ROUTES)[K]['endpoint'] extends keyof S
    ? S[(typeof AGENT_ROUTES)[K]['endpoint']]
    : never
  : never;

/** A route waits `timeoutMs`, or the configured default request timeout when null. */
type Routed<C> = C & { timeoutMs: number | null };

const OWN = {
  'memory-get': c(coordinator.keyInput, coordinator.storedEntrySchema),
  'memory-set': c(coordinator.setInput, coordinator.storedEntrySchema),
  'memory-delete': c(coordinator.keyInput, coordinator.memoryDeleteOutput),
  'memory-list': c(coordinator.listInput, coordinator.entriesOutput),
  'memory-query': c(coordinator.queryInput, coordinator.entriesOutput),
  'memory-import': c(coordinator.importInput, coordinator.memoryImportOutput),
  'memory-record': c(coordinator.recordInput, coordinator.memoryRecordOutput),
  'memory-stats': c(coordinator.memoryStatsInput, coordinator.memoryStatsOutput),
  hook: c(coordinator.hookInput, coordinator.hookOutput),
  'run-register': c(runsGuard.runRegisterInput, runsGuard.runRegisterOutput),
  runs: c(runsGuard.runsInput, runsGuard.runsOutput),
  guard: c(runsGuard.guardInput, runsGuard.guardOutput),
  status: c(coordinator.statusInput, coordinator.statusOutput),
  'farm-blob-fetch': c(farm.farmBlobFetchInput, farm.farmBlobFetchOutput),
  'farm-blob-publish': c(farm.farmBlobPublishInput, farm.farmBlobPublishOutput),
  shutdown: c(coordinator.shutdownInput, coordinator.shutdownOutput),
} as const;

function relays(): { [K in AgentRouteName]: Routed<RelayContract<K>> } {
  const out: Record<string, Routed<Contract>> = {};
  for (const [name, r] of Object.entries(AGENT_ROUTES)) {
    const agent = AGENT_CONTRACTS[r.service as keyof AgentContracts] as Record<string, Contract>;
    out[name] = { ...agent[r.endpoint]!, timeoutMs: relayTimeoutMs(name as AgentRouteName) };
  }
  return out as { [K in AgentRouteName]: Routed<RelayContract<K>> };
}

/** The coordinator's endpoints: its own and the agent endpoints it relays, each with its one timeout. */
export const ROUTES = {
  ...(Object.fromEntries(Object.entries(OWN).map(([k, v]) => [k, { ...v, timeoutMs: null }])) as {
    [K in keyof typeof OWN]: Routed<(typeof OWN)[K]>;
  }),
  ...relays(),
};

export type RouteName = keyof typeof ROUTES;
/** What a caller sends (defaults may be left out). */
export type RouteInput<R extends RouteName> = z.input<(typeof ROUTES)[R]['input']>;
/** What a caller gets back. */
export type RouteReply<R extends RouteName> = z.infer<(typeof ROUTES)[R]['output']>;

/** Every service's endpoints, for checks that each registered endpoint has a contract. */
export const CONTRACTS: Record<ServiceName, Record<string, Contract>> = {
  cleaner: { ...COMMON, ...AGENT_CONTRACTS.cleaner },
  unmounter: { ...COMMON, ...AGENT_CONTRACTS.unmounter },
  'performance-tuner': { ...COMMON, ...AGENT_CONTRACTS['performance-tuner'] },
  monitor: { ...COMMON, ...AGENT_CONTRACTS.monitor },
  coordinator: ROUTES,
};
