// A JetStream object store as the farm's blob shelf: files go in and come out as streams (chunked by
// the server, never whole in memory), named by the caller.
import { createReadStream, createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadable } from 'node:stream/web';
import type { NatsConnection } from 'nats';

export interface BlobShelf {
  has(name: string): Promise<boolean>;
  /** Stores `file` as `name`; `meta` rides along in the object's headers. */
  putFile(name: string, file: string, meta?: Record<string, string>): Promise<{ size: number }>;
  /** Streams `name` into `file` through `tap` (a hash); null when there is no such object. */
  getFile(name: string, file: string, tap: (chunk: Uint8Array) => void): Promise<{ size: number } | null>;
}

function shelfName(prefix: string, what: string): string {
  return `${prefix.replace(/[^A-Za-z0-9_-]/g, '_')}_${what}`.toUpperCase();
}

export async function openShelf(
  nc: NatsConnection,
  prefix: string,
  what: string,
  replicas: number,
): Promise<BlobShelf> {
  const os = await nc.jetstream().views.os(shelfName(prefix, what), { replicas });
  return {
    async has(name) {
      const i = await os.info(name);
      return !!i && !i.deleted;
    },
    async putFile(name, file, meta) {
      const rs = Readable.toWeb(createReadStream(file)) as unknown as ReadableStream<Uint8Array>;
      const info = await os.put({ name, ...(meta ? { metadata: meta } : {}) }, rs);
      return { size: info.size };
    },
    async getFile(name, file, tap) {
      const r = await os.get(name);
      if (!r) return null;
      let size = 0;
      const count = new Transform({
        transform(c: Uint8Array, _enc, done) {
          size += c.length;
          tap(c);
          done(null, c);
        },
      });
      await pipeline(
        Readable.fromWeb(r.data as unknown as WebReadable<Uint8Array>),
        count,
        createWriteStream(file, { mode: 0o644 }),
      );
      const err = await r.error;
      if (err) throw err;
      return { size };
    },
  };
}
