// The dashboard's HTTP server (node:http): the page and its assets, server-sent events, the run
// reports, and /metrics. Read-only: no request changes anything in the swarm.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { isValidRunId } from '../report/run-store.js';
import type { SwarmMetrics } from '../metrics/registry.js';
import { authorized, COOKIE, isLoopback } from './access.js';
import { pageAssets } from './assets.js';
import type { Feeds } from './feeds.js';
import type { DashboardModel } from './model.js';
import { SseHub } from './sse-hub.js';

export interface HttpOptions {
  port: number;
  bind: string;
  token?: string;
  /** false: /metrics only (`isoswarm metrics`, `up --metrics-port`). */
  page: boolean;
  model: DashboardModel;
  metrics: SwarmMetrics;
  feeds: Feeds;
  runsDir: string;
}

export interface DashboardServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const REPORT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string | Buffer,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    'Content-Type': type,
    'Content-Length': Buffer.byteLength(body),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    ...extra,
  });
  res.end(body);
}

/** Without a token only loopback names are accepted in Host: a rebound DNS name cannot reach the page. */
function hostAllowed(req: IncomingMessage, token: string | undefined): boolean {
  if (token) return true;
  const host = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return host === 'localhost' || isLoopback(host);
}

export async function startHttp(o: HttpOptions): Promise<DashboardServer> {
  const hub = new SseHub(o.model, o.feeds);
  const assets = o.page ? pageAssets() : null;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://dashboard');
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'text/plain', 'only GET\n', { Allow: 'GET, HEAD' });
    if (!hostAllowed(req, o.token))
      return send(res, 403, 'text/plain', 'this dashboard answers to loopback host names only\n');
    if (url.pathname === '/healthz') return send(res, 200, 'text/plain', 'ok\n');
    if (!authorized(req, url, o.token))
      return send(res, 401, 'text/plain', 'a token is required (Authorization: Bearer TOKEN, or ?token=TOKEN)\n', {
        'WWW-Authenticate': 'Bearer realm="isoswarm"',
      });
    if (o.token && url.searchParams.has('token')) {
      // The token leaves the address bar; the page and its event stream carry it as a cookie.
      url.searchParams.delete('token');
      res.writeHead(303, {
        Location: url.pathname + url.search,
        'Set-Cookie': `${COOKIE}=${encodeURIComponent(o.token)}; HttpOnly; SameSite=Strict; Path=/`,
        'Content-Length': 0,
      });
      return void res.end();
    }
    if (url.pathname === '/metrics') {
      await o.feeds.refresh();
      return send(res, 200, o.metrics.contentType, await o.metrics.text(), { 'Cache-Control': 'no-store' });
    }
    if (!assets) return send(res, 404, 'text/plain', 'not found (this server has /metrics only)\n');
    if (url.pathname === '/events') return hub.attach(req, res);
    if (url.pathname === '/api/state')
      return send(res, 200, 'application/json', JSON.stringify(o.model.snapshot()), { 'Cache-Control': 'no-store' });
    const report = /^\/runs\/([^/]+)\.html$/.exec(url.pathname);
    if (report) {
      const id = decodeURIComponent(report[1]!);
      if (!isValidRunId(id)) return send(res, 400, 'text/plain', 'bad run id\n');
      const body = await readFile(join(o.runsDir, `${id}.html`)).catch(() => null);
      return body
        ? send(res, 200, 'text/html; charset=utf-8', body, { 'Content-Security-Policy': REPORT_CSP })
        : send(res, 404, 'text/plain', 'no report for that run\n');
    }
    const a = assets.get(url.pathname === '/index.html' ? '/' : url.pathname);
    if (!a) return send(res, 404, 'text/plain', 'not found\n');
    return send(res, 200, a.type, a.body, { 'Content-Security-Policy': PAGE_CSP, 'Cache-Control': 'no-cache' });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      if (!res.headersSent) send(res, 500, 'text/plain', `internal error: ${e.message}\n`);
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
  // Errors of single requests are answered above; nothing else may reach the host process as a throw.
  server.on('clientError', (_e, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.bind, () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = o.bind.includes(':') ? `[${o.bind}]` : o.bind;
  return {
    url: `http://${host}:${port}/`,
    port,
    async close() {
      hub.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
