// The farm's blob store for this host's root cache: the performance tuner asks here on a local miss
// (farm-blob-fetch) and after it stored a new root (farm-blob-publish). Files are read and written
// only inside the root cache directory: the CLI user of any host may reach these endpoints too.
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { NatsConnection } from '../bus/connect.js';
import { endpoint, type EndpointMap } from '../bus/service.js';
import { openRootCacheFarm, type RootCacheFarm } from '../farm/blob-share.js';
import { BusError } from '../schemas/bus-error.js';
import { farmBlobFetchInput, farmBlobPublishInput } from '../schemas/agents/coordinator-farm.js';
import type { Config } from '../schemas/config.js';

/** The root cache's directory, as the performance tuner places it. */
export function rootCacheDirOf(config: Config, stateDir: string): string {
  return resolve(config.caches.rootDir ?? join(stateDir, 'cache', 'debootstrap-roots'));
}

export function farmBlobEndpoints(
  nc: NatsConnection,
  config: Config,
  o: { prefix: string; host: string; stateDir: string },
): EndpointMap {
  let farm: Promise<RootCacheFarm> | null = null;
  const open = () =>
    (farm ??= openRootCacheFarm(nc, { prefix: o.prefix, host: o.host, replicas: config.farm.replicas }).catch(
      (e: Error) => {
        farm = null;
        throw new BusError('unavailable', `the farm's blob store cannot be opened: ${e.message}`);
      },
    ));
  const dir = rootCacheDirOf(config, o.stateDir);
  // Paths come from a request any farm host's CLI user may send, so they are held to the two shapes
  // the tuner uses: a fresh download name under tmp/, and a stored object named by its sha256 whose
  // key file names it. Nothing existing is replaced, and no symlink leads out of the cache.
  const realDir = (sub: string): string => {
    const d = join(dir, sub);
    let r: string;
    try {
      r = realpathSync(d);
    } catch {
      mkdirSync(d, { recursive: true, mode: 0o700 });
      r = realpathSync(d);
    }
    if (r !== join(realpathSync(dir), sub)) throw new BusError('bad-request', `${d} leads out of the root cache`);
    return d;
  };
  const downloadTo = (p: string): string => {
    const r = resolve(p);
    if (dirname(r) !== join(dir, 'tmp') || !/^farm-[0-9a-f]{6,64}\.blob$/.test(basename(r)))
      throw new BusError('bad-request', `${p} is not a download name in ${join(dir, 'tmp')}`);
    realDir('tmp');
    if (existsSync(r)) throw new BusError('bad-request', `${p} exists: a download never replaces a file`);
    return r;
  };
  const storedObject = (key: string, p: string, sha256: string): string => {
    const r = resolve(p);
    const name = basename(r);
    if (dirname(r) !== join(dir, 'objects') || !name.startsWith(`${sha256}.`) || !/^[A-Za-z0-9._-]+$/.test(key))
      throw new BusError('bad-request', `${p} is not the stored object ${sha256} in ${join(dir, 'objects')}`);
    realDir('objects');
    let entry: { object?: unknown } | null = null;
    try {
      entry = JSON.parse(readFileSync(join(realDir('keys'), `${key}.json`), 'utf8')) as { object?: unknown };
    } catch {
      entry = null;
    }
    if (entry?.object !== name) throw new BusError('bad-request', `the root cache's key ${key} does not name ${name}`);
    return r;
  };
  const none = { sha256: null, size: null, from: null, meta: null };
  return {
    'farm-blob-fetch': endpoint({
      input: farmBlobFetchInput,
      handler: async ({ key, dest }) => {
        if (!config.farm.enabled) return { found: false, reason: 'this swarm is not in a farm', ...none };
        const file = downloadTo(dest);
        const f = await open();
        const rec = await f.describe(key);
        if (!rec) return { found: false, reason: 'no host of the farm has published this key', ...none };
        const got = await f.fetch(rec.sha256, file);
        if (!got)
          return { found: false, reason: `the farm's index names ${rec.sha256} but its store lacks it`, ...none };
        return {
          found: true,
          reason: `fetched from the farm (published by ${got.from}), sha256 verified`,
          sha256: got.sha256,
          size: got.size,
          from: got.from,
          meta: rec.meta ?? null,
        };
      },
    }),
    'farm-blob-publish': endpoint({
      input: farmBlobPublishInput,
      handler: async ({ key, file, sha256, meta }) => {
        if (!config.farm.enabled) return { published: 'not-a-farm' as const };
        const f = await open();
        const object = storedObject(key, file, sha256);
        return { published: await f.publish(key, object, sha256, meta) };
      },
    }),
  };
}
