// A plain NATS client for tests, talking to the swarm of a test's state dir like any tool would.
import { readFileSync } from 'node:fs';
import { connect, type NatsConnection } from 'nats';
import { busHost } from '../../src/bus/subjects.js';

/** A client with the credentials of one role ('coordinator' may reach every endpoint; 'cli' only the coordinator). */
export async function rawClient(home: string, role = 'coordinator'): Promise<NatsConnection> {
  const run = JSON.parse(readFileSync(`${home}/run.json`, 'utf8')) as { url: string };
  const creds = JSON.parse(readFileSync(`${home}/credentials.json`, 'utf8')) as Record<
    string,
    { user: string; pass: string }
  >;
  const c = creds[role]!;
  // Each role may read replies only under its own inbox prefix.
  return connect({ servers: run.url, user: c.user, pass: c.pass, timeout: 3000, inboxPrefix: `_INBOX.${role}` });
}

export async function pingNames(nc: NatsConnection): Promise<{ name: string; id: string; pid: number }[]> {
  const out: { name: string; id: string; pid: number }[] = [];
  const it = await nc.requestMany('$SRV.PING', new Uint8Array(0), { maxWait: 800 } as never);
  for await (const m of it) {
    const v = JSON.parse(new TextDecoder().decode(m.data)) as {
      type: string;
      name: string;
      id: string;
      metadata?: { pid?: string };
    };
    if (v.type !== 'io.nats.micro.v1.ping_response') throw new Error(`unexpected PING response type ${v.type}`);
    out.push({ name: v.name, id: v.id, pid: Number(v.metadata?.pid) });
  }
  return out;
}

export function pidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** This host's subject root (`isoswarm.<host>`): every endpoint and event subject starts with it. */
export const SUBJ = `isoswarm.${busHost()}`;
