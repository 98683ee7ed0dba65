// The hook pipeline inside the coordinator: store the event durably, then run its handlers.
import type { NatsConnection } from '../bus/connect.js';
import { publishDurable } from '../bus/jetstream.js';
import { endpoint, type EndpointMap } from '../bus/service.js';
import { eventSubject } from '../bus/subjects.js';
import { runHookHandlers } from '../hook-runtime/run-handler.js';
import { drainSpool } from '../hook-runtime/spool-drain.js';
import type { StatePaths } from '../host/system/state-dir.js';
import type { Logger } from '../log/logger.js';
import type { MemoryOps } from '../memory/operations.js';
import type { Config } from '../schemas/config.js';
import { BusError } from '../schemas/bus-error.js';
import { hookInput } from '../schemas/agents/coordinator.js';
import { hookEventSchema, type HookEvent, type HookResult } from '../schemas/hooks.js';

export async function handleHook(
  nc: NatsConnection,
  config: Config,
  ops: MemoryOps,
  event: HookEvent,
  deferred = false,
  log?: Logger,
): Promise<HookResult> {
  const started = performance.now();
  // The msgID makes a retried or replayed event a no-op in the stream.
  await publishDurable(nc, eventSubject(config.nats.subjectPrefix, 'hook', event.hook), event, event.id);
  if (deferred) {
    // The caller waits for durability only; the handler runs right after the reply.
    setImmediate(
      () =>
        void runHookHandlers(event, config, ops.hookMemory()).catch((e: Error) =>
          log?.warn({ hook: event.hook, err: e.message }, 'a deferred hook handler failed'),
        ),
    );
    return {
      hook: event.hook,
      id: event.id,
      message: `${event.hook} recorded`,
      durationMs: performance.now() - started,
      stored: 'stream',
    };
  }
  try {
    const r = await runHookHandlers(event, config, ops.hookMemory());
    return {
      hook: event.hook,
      id: event.id,
      message: r.message,
      data: r.data,
      durationMs: performance.now() - started,
      stored: 'stream',
    };
  } catch (e) {
    throw new BusError('hook-failed', (e as Error).message);
  }
}

export function hookEndpoints(nc: NatsConnection, config: Config, ops: MemoryOps, log?: Logger): EndpointMap {
  return {
    hook: endpoint({
      input: hookInput,
      handler: ({ event, deferred }) => handleHook(nc, config, ops, event, deferred ?? false, log),
    }),
  };
}

/** Hook events recorded while the swarm was down go to the stream when it comes back. */
export async function replayPendingHooks(nc: NatsConnection, config: Config, ops: MemoryOps): Promise<number> {
  let n = 0;
  for (const e of ops.list('hooks/pending/')) {
    const parsed = hookEventSchema.safeParse(e.value);
    if (parsed.success) {
      await publishDurable(
        nc,
        eventSubject(config.nats.subjectPrefix, 'hook', parsed.data.hook),
        parsed.data,
        parsed.data.id,
      );
    }
    await ops.delete(e.key);
    n++;
  }
  return n;
}

/** Hook events spooled while the coordinator's bus was down or its memory busy: run each exactly once. */
export async function ingestSpool(
  nc: NatsConnection,
  config: Config,
  ops: MemoryOps,
  paths: StatePaths,
  log: Logger,
): Promise<number> {
  const r = await drainSpool(paths, config, ops, {
    publish: (event) =>
      publishDurable(nc, eventSubject(config.nats.subjectPrefix, 'hook', event.hook), event, event.id).then(
        () => undefined,
      ),
    warn: (message, detail) => log.warn(detail, message),
  });
  return r.drained + r.failed;
}
