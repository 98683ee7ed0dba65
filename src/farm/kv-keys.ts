// Keys of the farm's patterns bucket. Every member writes only keys of its own, so no two hosts ever
// race on one key: `c.<member id>.<record>` holds a member's contribution to a merged record (the id,
// not the host name: a renamed host keeps its keys, so its counts are never there twice),
// `h.<host>.<record>` a host-specific record. KV keys allow [-/_=.A-Za-z0-9] with `.` between
// tokens: anything else in a record's key (and `.`) becomes =XX.
import { isHostSpecific } from './record-merge.js';

function enc(key: string): string {
  return key.replace(/[^A-Za-z0-9/_-]/g, (c) =>
    [...Buffer.from(c)].map((b) => `=${b.toString(16).padStart(2, '0')}`).join(''),
  );
}

function dec(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length;) {
    if (s[i] === '=') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 3;
    } else bytes.push(s.charCodeAt(i++));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** The bucket key a member (`host`, `id`) writes a record to. */
export function kvKeyOf(memKey: string, host: string, id: string): string {
  return isHostSpecific(memKey) ? `h.${host}.${enc(memKey)}` : `c.${id}.${enc(memKey)}`;
}

export type ParsedKey = { key: string; member: string; host: null } | { key: string; member: null; host: string };

/** A bucket key's record and its member's id, or (a host-specific record) its host. */
export function memKeyOf(kvKey: string): ParsedKey | null {
  const c = /^c\.([^.]+)\.([^.]+)$/.exec(kvKey);
  if (c) return { key: dec(c[2]!), member: c[1]!, host: null };
  const h = /^h\.([^.]+)\.([^.]+)$/.exec(kvKey);
  return h ? { key: dec(h[2]!), member: null, host: h[1]! } : null;
}
