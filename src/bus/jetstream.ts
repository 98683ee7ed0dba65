// Durable events: one JetStream stream per prefix holds hook events, alerts and task results, so a
// coordinator restart loses none of them. The reactor reads them through a durable pull consumer.
import { statfsSync } from 'node:fs';
import { AckPolicy, DeliverPolicy, type JsMsg, type NatsConnection } from 'nats';
import { decodeJson, encodeJson } from './codec.js';
import { durableName, eventStreamSubject, streamName } from './subjects.js';

export const DEFAULT_STREAM_BYTES = 1024 * 1024 * 1024;

/**
 * The stream's byte limit: 1 GiB, but at most 40 % of the file system holding the server's store, so
 * that a small disk (the server refuses a reservation larger than its storage) still starts.
 */
export function streamBytesFor(storeDir: string | null): number {
  if (!storeDir) return DEFAULT_STREAM_BYTES;
  try {
    const s = statfsSync(storeDir);
    return Math.max(1024 * 1024, Math.min(DEFAULT_STREAM_BYTES, Math.floor(s.blocks * s.bsize * 0.4)));
  } catch {
    return DEFAULT_STREAM_BYTES;
  }
}

/** The stream every host shares; `replicas` 3 on a 3-node cluster keeps it through one node's loss. */
export async function ensureEventStream(
  nc: NatsConnection,
  prefix: string,
  maxBytes = DEFAULT_STREAM_BYTES,
  replicas = 1,
): Promise<void> {
  const jsm = await nc.jetstreamManager();
  const name = streamName(prefix);
  const subjects = [eventStreamSubject(prefix)];
  const cfg = {
    name,
    subjects,
    max_age: 30 * 24 * 3600 * 1e9, // nanoseconds: a month of history
    max_bytes: maxBytes,
    num_replicas: replicas,
  };
  let info;
  try {
    info = await jsm.streams.info(name);
  } catch {
    await jsm.streams.add(cfg);
    return;
  }
  // A store made before subjects carried the host: the stream is widened to every host's events.
  if (info.config.subjects?.join() !== subjects.join()) await jsm.streams.update(name, { ...info.config, subjects });
}

/** Publishes and waits for the server's acknowledgement: when this resolves, the event is stored. */
export async function publishDurable(
  nc: NatsConnection,
  subject: string,
  payload: unknown,
  msgId?: string,
): Promise<number> {
  const ack = await nc.jetstream().publish(subject, encodeJson(payload), msgId ? { msgID: msgId } : undefined);
  return ack.seq;
}

export interface DurableHandle {
  stop(): Promise<void>;
}

/**
 * Delivers every event on `filter` to `handle` at least once; an event is acknowledged only after
 * `handle` resolves, so events published while the consumer's owner was down are delivered on restart.
 */
export async function consumeDurable(
  nc: NatsConnection,
  prefix: string,
  durable: string,
  filter: string,
  handle: (subject: string, payload: unknown, seq: number) => Promise<void>,
): Promise<DurableHandle> {
  const jsm = await nc.jetstreamManager();
  const stream = streamName(prefix);
  const name = durableName(durable);
  try {
    await jsm.consumers.info(stream, name);
  } catch {
    await jsm.consumers.add(stream, {
      durable_name: name,
      filter_subject: filter,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.New,
      ack_wait: 30 * 1e9,
    });
  }
  const consumer = await nc.jetstream().consumers.get(stream, name);
  const messages = await consumer.consume({ max_messages: 64 });
  const loop = (async () => {
    for await (const m of messages as AsyncIterable<JsMsg>) {
      try {
        await handle(m.subject, decodeJson(m.data), m.seq);
        m.ack();
      } catch {
        m.nak(1000);
      }
    }
  })();
  return {
    async stop() {
      await messages.close().catch(() => undefined);
      await loop.catch(() => undefined);
    },
  };
}
