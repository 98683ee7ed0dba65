// Over 250 lines on purpose: up and down are mirror images (server, credentials, coordinator, readiness) and read best together.
// Bringing the swarm up and down: the private nats-server (unless a URL is configured), then the
// coordinator, which starts the agents. `up` returns only when every service answers PING.
// After a coordinator was killed, `up` reuses the still-running private server recorded in run.json
// (its agents are connected to it and wait to be adopted) and starts only a new coordinator.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { closeBus, connectBus, type BusAuth } from '../bus/connect.js';
import { pingAll, type ServiceIdentity } from '../bus/discovery.js';
import { credentialsProblem, loadOrCreateCredentials } from '../bus/nats-auth.js';
import { startNatsServer } from '../bus/nats-server.js';
import { readFarmCredentials } from '../bus/farm-auth.js';
import { busHost } from '../bus/subjects.js';
import { isAlive, refOf, signalIfSame, waitForExit, type ProcessRef } from '../host/proc/process-identity.js';
import type { StatePaths } from '../host/system/state-dir.js';
import { distPath } from '../package-root.js';
import type { Config } from '../schemas/config.js';
import { authToEnv, externalAuth, withoutChildAuth } from './bus-target.js';
import { readRunFile, removeRunFile, writeRunFile, type RunFile } from './run-file.js';
import { findAgentProcesses, findSwarmCore, stopProcesses } from './swarm-processes.js';

export const coordinatorEntry = distPath('src', 'coordinator', 'main.js');

export interface UpOptions {
  /** Keep the coordinator (and the private server) attached to this process. */
  foreground?: boolean;
  onProgress?: (msg: string) => void;
  /** Extra environment for the coordinator (what `up --dashboard` asks it to serve). */
  coordinatorEnv?: NodeJS.ProcessEnv;
}

export interface UpResult {
  run: RunFile;
  services: ServiceIdentity[];
  alreadyUp: boolean;
  coordinatorExit?: Promise<number | null>;
}

export function expectedServices(config: Config): string[] {
  return ['coordinator', ...config.agents];
}

/** The live swarm recorded in run.json (its coordinator alive), or null. */
export function liveRun(paths: StatePaths): RunFile | null {
  const run = readRunFile(paths.runFile);
  if (!run) return null;
  if (run.coordinator && isAlive(run.coordinator)) return run;
  return null;
}

/** A run whose coordinator died but whose private nats-server still runs: reused, not leaked. */
export function orphanedServer(paths: StatePaths): RunFile | null {
  const run = readRunFile(paths.runFile);
  if (!run || !run.embedded || !run.nats || (run.coordinator && isAlive(run.coordinator))) return null;
  return isAlive(run.nats) ? run : null;
}

export async function waitForServices(
  url: string,
  auth: BusAuth | undefined,
  want: string[],
  timeoutMs: number,
): Promise<ServiceIdentity[]> {
  const nc = await connectBus({ url, auth, name: 'isoswarm-up', timeoutMs: 3000 });
  const host = busHost();
  try {
    const end = Date.now() + timeoutMs;
    let seen: ServiceIdentity[] = [];
    while (Date.now() < end) {
      // A farm's bus carries other hosts' services too: this host's are the ones that count.
      seen = (await pingAll(nc, 300)).filter((s) => (s.metadata?.host ?? host) === host);
      const names = new Set(seen.map((s) => s.name));
      if (want.every((w) => names.has(w))) return seen;
      await new Promise((r) => setTimeout(r, 100));
    }
    const names = new Set(seen.map((s) => s.name));
    throw new Error(
      `not all services answered PING within ${timeoutMs} ms; missing: ${want.filter((w) => !names.has(w)).join(', ')}`,
    );
  } finally {
    await closeBus(nc);
  }
}

async function stopRef(ref: ProcessRef | null, graceMs: number): Promise<void> {
  if (!ref || !isAlive(ref)) return;
  signalIfSame(ref, 'SIGTERM');
  if (await waitForExit(ref, graceMs)) return;
  signalIfSame(ref, 'SIGKILL');
  await waitForExit(ref, 2000);
}

/**
 * run.json that exists but cannot be read (truncated by a full disk, corrupted): it is moved aside,
 * and the swarm it described — found in /proc by its state dir — is stopped, so that `up` starts one
 * swarm, not a second beside a hidden first.
 */
async function repairRunFile(paths: StatePaths, say: (m: string) => void): Promise<void> {
  if (!existsSync(paths.runFile) || readRunFile(paths.runFile)) return;
  const aside = `${paths.runFile}.corrupt-${Date.now()}`;
  renameSync(paths.runFile, aside);
  const core = findSwarmCore(paths.root);
  say(
    `${paths.runFile} is corrupted: kept as ${aside}; stopping the swarm it described (${core.map((c) => `${c.what} ${c.ref.pid}`).join(', ') || 'nothing running'})`,
  );
  const coords = core.filter((c) => c.what === 'coordinator').map((c) => c.ref);
  await stopProcesses(coords, 15_000);
  await stopProcesses(
    findAgentProcesses(paths.root).map((a) => a.ref),
    5000,
  );
  await stopProcesses(
    core.filter((c) => c.what === 'nats-server').map((c) => c.ref),
    5000,
  );
}

export async function up(config: Config, paths: StatePaths, opts: UpOptions = {}): Promise<UpResult> {
  const say = opts.onProgress ?? (() => undefined);
  await repairRunFile(paths, say);
  const existing = liveRun(paths);
  if (existing) {
    const auth = existing.embedded ? loadOrCreateCredentials(paths.root).cli : externalAuth(process.env);
    const services = await waitForServices(
      existing.url,
      auth,
      expectedServices(config),
      config.supervisor.readyTimeoutMs,
    );
    return { run: existing, services, alreadyUp: true };
  }
  const embedded = !config.nats.url;
  let reuse = embedded ? orphanedServer(paths) : null;
  // Corrupted credentials: a server still holding the old ones cannot be reused; new ones are made.
  const credsProblem = embedded ? credentialsProblem(paths.root) : null;
  if (credsProblem && reuse) {
    say(`${credsProblem}: stopping the private nats-server that uses it`);
    await stopProcesses(
      findAgentProcesses(paths.root).map((a) => a.ref),
      5000,
    );
    await stopRef(reuse.nats, 5000);
    reuse = null;
  }
  if (!reuse) {
    // Agents of a dead coordinator whose server is gone too cannot be reached to be adopted.
    const stale = findAgentProcesses(paths.root);
    if (embedded && stale.length) {
      say(`stopping ${stale.length} agent(s) left by a dead swarm`);
      await stopProcesses(
        stale.map((a) => a.ref),
        5000,
      );
    }
    removeRunFile(paths.runFile);
  }
  const logFile = join(paths.logs, 'swarm.log');
  let natsRef: ProcessRef | null = null;
  let url: string;
  // `auth` is what this CLI uses to wait for PING; `coordAuth` is handed to the coordinator.
  let auth: BusAuth | undefined;
  let coordAuth: BusAuth | undefined;
  if (embedded) {
    const creds = loadOrCreateCredentials(paths.root, {
      repair: true,
      onRepair: (aside) =>
        say(`${credsProblem ?? 'credentials.json is corrupted'}: kept as ${aside}; new credentials generated`),
    });
    if (reuse) {
      say(`reusing the private nats-server (pid ${reuse.nats!.pid}) of a coordinator that died`);
      natsRef = reuse.nats;
      url = reuse.url;
    } else {
      say('starting private nats-server');
      const srv = await startNatsServer({
        jetstreamDir: paths.jetstream,
        logFile: join(paths.logs, 'nats-server.log'),
        credentials: creds,
        prefix: config.nats.subjectPrefix,
        attached: opts.foreground,
      });
      natsRef = srv.ref;
      url = srv.url;
    }
    auth = creds.cli;
    coordAuth = creds.coordinator;
  } else {
    url = config.nats.url!;
    // On a farm with per-host users, the coordinator and this CLI use this host's own.
    const farm = readFarmCredentials(process.env, busHost());
    auth = farm?.cli ?? externalAuth(process.env);
    coordAuth = farm?.coordinator ?? auth;
  }
  say(`starting coordinator (bus ${url})`);
  const env: NodeJS.ProcessEnv = {
    ...withoutChildAuth(process.env),
    ...opts.coordinatorEnv,
    ...authToEnv(coordAuth),
    ISOSWARM_NATS_URL: url,
    ISOSWARM_HOME: paths.root,
  };
  env.ISOSWARM_EMBEDDED = embedded ? '1' : '0';
  const log = openSync(logFile, 'a', 0o600);
  const child = spawn(process.execPath, [coordinatorEntry], {
    env,
    detached: !opts.foreground,
    stdio: opts.foreground ? ['ignore', 'inherit', 'inherit'] : ['ignore', log, log],
  });
  closeSync(log);
  const coordinatorExit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const coordRef = child.pid ? refOf(child.pid) : null;
  const run: RunFile = {
    url,
    embedded,
    prefix: config.nats.subjectPrefix,
    nats: natsRef,
    coordinator: coordRef,
    startedAt: new Date().toISOString(),
    logFile,
  };
  writeRunFile(paths.runFile, run);
  try {
    say('waiting for the five services to answer PING');
    const services = await Promise.race([
      waitForServices(url, auth, expectedServices(config), config.supervisor.readyTimeoutMs),
      coordinatorExit.then((code) => {
        throw new Error(`coordinator exited with code ${code} during start-up; see ${logFile}`);
      }),
    ]);
    if (!opts.foreground) child.unref();
    return { run, services, alreadyUp: false, coordinatorExit };
  } catch (e) {
    await stopRef(coordRef, 5000);
    await stopProcesses(
      findAgentProcesses(paths.root).map((a) => a.ref),
      5000,
    );
    await stopRef(natsRef, 3000);
    removeRunFile(paths.runFile);
    throw e;
  }
}

export interface DownResult {
  wasUp: boolean;
  stopped: { what: string; pid: number }[];
  /** Processes that had not exited when `down` gave up waiting (a process stuck in the kernel). */
  notExited: { what: string; pid: number }[];
}

/**
 * Stops what `up` started: the coordinator (which stops its agents, adopted ones too), any agent of
 * this state dir still running without one (its coordinator was killed), then the private server.
 * Returns only when every one of them has exited — gone from /proc, or a zombie (state Z) that only
 * its parent or init can reap — or `exitWaitMs` ran out (then they are listed in notExited).
 */
export async function down(paths: StatePaths, graceMs = 15_000, exitWaitMs = 30_000): Promise<DownResult> {
  const run = readRunFile(paths.runFile);
  const stopped: DownResult['stopped'] = [];
  const watched: { what: string; ref: ProcessRef }[] = [];
  // The agents the coordinator is about to stop are known now, so their exit can be waited for too.
  for (const a of findAgentProcesses(paths.root)) watched.push({ what: `agent ${a.name}`, ref: a.ref });
  if (run?.coordinator && isAlive(run.coordinator)) {
    // SIGTERM makes the coordinator stop its agents gracefully before it exits.
    await stopRef(run.coordinator, graceMs);
    stopped.push({ what: 'coordinator', pid: run.coordinator.pid });
    watched.push({ what: 'coordinator', ref: run.coordinator });
  }
  const orphans = findAgentProcesses(paths.root);
  for (const r of await stopProcesses(
    orphans.map((a) => a.ref),
    5000,
  ))
    stopped.push({ what: `agent ${orphans.find((a) => a.ref === r)?.name ?? '?'}`, pid: r.pid });
  for (const w of watched)
    if (w.what.startsWith('agent') && !stopped.some((s) => s.pid === w.ref.pid))
      stopped.push({ what: w.what, pid: w.ref.pid });
  if (run?.nats && isAlive(run.nats)) {
    await stopRef(run.nats, 5000);
    stopped.push({ what: 'nats-server', pid: run.nats.pid });
    watched.push({ what: 'nats-server', ref: run.nats });
  }
  // isAlive is false for a zombie: a process that has exited but waits to be reaped counts as exited.
  const end = Date.now() + exitWaitMs;
  let left = watched.filter((w) => isAlive(w.ref));
  while (left.length && Date.now() < end) {
    for (const w of left) signalIfSame(w.ref, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 25));
    left = left.filter((w) => isAlive(w.ref));
  }
  if (run) removeRunFile(paths.runFile);
  return { wasUp: stopped.length > 0, stopped, notExited: left.map((w) => ({ what: w.what, pid: w.ref.pid })) };
}
