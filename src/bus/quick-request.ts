// A minimal NATS request/reply client for the hook path: one TCP connection, CONNECT, SUB, PUB, MSG.
// The full client costs a hook tens of milliseconds to load and warm up in a fresh process; this
// speaks only the plain-text core protocol with user/password or token auth. Anything else (TLS,
// nkeys, creds files, several servers) returns null and the caller uses the full client.
import { connect as tcpConnect, type Socket } from 'node:net';
import type { BusAuth } from './connect.js';
import { inboxPrefixOfUser } from './nats-auth.js';

export class QuickBusError extends Error {
  constructor(
    readonly code: 'unavailable' | 'timeout' | 'auth',
    message: string,
  ) {
    super(message);
  }
}

export interface QuickConnection {
  request(subject: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array>;
  close(): void;
}

interface Pending {
  resolve(d: Uint8Array): void;
  reject(e: Error): void;
}

const CRLF = Buffer.from('\r\n');

export function quickSupported(url: string, auth: BusAuth | undefined): boolean {
  if (url.includes(',') || !/^(nats:\/\/)?[^/:]+:\d+$/.test(url)) return false;
  return !auth || !(auth.credsFile || auth.nkeySeedFile || auth.tls?.caFile || auth.tls?.certFile || auth.tls?.keyFile);
}

export function quickConnect(
  url: string,
  auth: BusAuth | undefined,
  timeoutMs: number,
): Promise<QuickConnection | null> {
  if (!quickSupported(url, auth)) return Promise.resolve(null);
  const [host, port] = url.replace(/^nats:\/\//, '').split(':') as [string, string];
  return new Promise((resolve, reject) => {
    const sock: Socket = tcpConnect({ host, port: Number(port) });
    sock.setNoDelay(true);
    let buf: Buffer = Buffer.alloc(0);
    let state: 'info' | 'pong' | 'ready' = 'info';
    let nextSid = 1;
    const pending = new Map<string, Pending>();
    const fail = (e: Error): void => {
      clearTimeout(timer);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
      sock.destroy();
      if (state !== 'ready') reject(e);
    };
    const timer = setTimeout(
      () => fail(new QuickBusError('timeout', `no NATS handshake from ${url} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    // Our generated users may read replies only under their role's inbox (nats-auth permissionsFor).
    const inboxPrefix = inboxPrefixOfUser(auth?.user) ?? '_INBOX';
    const conn: QuickConnection = {
      request(subject, payload, ms) {
        const sid = String(nextSid++);
        const inbox = `${inboxPrefix}.${process.pid}.${Date.now().toString(36)}.${sid}`;
        return new Promise((res, rej) => {
          const t = setTimeout(() => {
            pending.delete(sid);
            rej(new QuickBusError('timeout', `no reply on ${subject} within ${ms} ms`));
          }, ms);
          pending.set(sid, { resolve: (d) => (clearTimeout(t), res(d)), reject: (e) => (clearTimeout(t), rej(e)) });
          sock.write(
            Buffer.concat([
              Buffer.from(`SUB ${inbox} ${sid}\r\nUNSUB ${sid} 1\r\nPUB ${subject} ${inbox} ${payload.length}\r\n`),
              Buffer.from(payload),
              CRLF,
            ]),
          );
        });
      },
      close() {
        clearTimeout(timer);
        sock.end();
        sock.destroy();
      },
    };
    // Parses whole protocol lines (and MSG/HMSG bodies) out of the buffer.
    const pump = (): void => {
      for (;;) {
        const eol = buf.indexOf(CRLF);
        if (eol < 0) return;
        const line = buf.subarray(0, eol).toString('utf8');
        const op = line.split(' ', 1)[0]!.toUpperCase();
        if (op === 'MSG' || op === 'HMSG') {
          const f = line.split(' ');
          const total = Number(f[f.length - 1]);
          const hdr = op === 'HMSG' ? Number(f[f.length - 2]) : 0;
          if (buf.length < eol + 2 + total + 2) return;
          const body = buf.subarray(eol + 2, eol + 2 + total);
          buf = buf.subarray(eol + 2 + total + 2);
          const p = pending.get(f[2]!);
          pending.delete(f[2]!);
          // A header-only reply with status 503 is the server's "no responders".
          if (hdr > 0 && /^NATS\/1\.0 503/.test(body.subarray(0, hdr).toString()))
            p?.reject(new QuickBusError('unavailable', 'no responders'));
          else p?.resolve(new Uint8Array(body.subarray(hdr)));
          continue;
        }
        buf = buf.subarray(eol + 2);
        if (op === 'INFO' && state === 'info') {
          const info = JSON.parse(line.slice(5)) as { tls_required?: boolean; headers?: boolean };
          if (info.tls_required) {
            clearTimeout(timer);
            sock.destroy();
            resolve(null); // the full client does TLS
            return;
          }
          const co: Record<string, unknown> = {
            verbose: false,
            pedantic: false,
            lang: 'isoswarm-quick',
            version: '1',
            protocol: 1,
            headers: true,
            no_responders: true,
            name: `isoswarm-hook:${process.pid}`,
          };
          if (auth?.user) Object.assign(co, { user: auth.user, pass: auth.pass ?? '' });
          if (auth?.token) co.auth_token = auth.token;
          sock.write(`CONNECT ${JSON.stringify(co)}\r\nPING\r\n`);
          state = 'pong';
        } else if (op === 'PONG' && state === 'pong') {
          state = 'ready';
          clearTimeout(timer);
          resolve(conn);
        } else if (op === 'PING') sock.write('PONG\r\n');
        else if (op === '-ERR')
          fail(new QuickBusError(/authoriz|authent/i.test(line) ? 'auth' : 'unavailable', `NATS: ${line}`));
      }
    };
    sock.on('data', (d: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, d]) : d;
      try {
        pump();
      } catch (e) {
        fail(e as Error);
      }
    });
    sock.on('error', (e) => fail(new QuickBusError('unavailable', `cannot reach NATS at ${url}: ${e.message}`)));
    sock.on('close', () => fail(new QuickBusError('unavailable', `NATS connection to ${url} closed`)));
  });
}
