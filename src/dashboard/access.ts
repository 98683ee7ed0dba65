// Who may see the dashboard: anyone on this host when it listens on loopback; elsewhere only those
// who present its token (Authorization: Bearer, ?token= once, then a same-site cookie).
import { timingSafeEqual, createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';

export class DashboardAccessError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DashboardAccessError';
  }
}

export function isLoopback(bind: string): boolean {
  if (bind === 'localhost') return true;
  const v = isIP(bind);
  if (v === 4) return bind.startsWith('127.');
  if (v === 6) return bind === '::1' || /^::ffff:127\./i.test(bind);
  return false;
}

/** Refuses a bind address that is not loopback unless a token guards it; a weak token is refused too. */
export function checkBind(bind: string, token: string | undefined): void {
  if (!isIP(bind) && bind !== 'localhost')
    throw new DashboardAccessError(
      `--bind ${JSON.stringify(bind)} is not an IP address (use e.g. 127.0.0.1, 0.0.0.0 or ::)`,
    );
  if (token && token.length < 16)
    throw new DashboardAccessError('the dashboard token must be at least 16 characters long');
  if (!isLoopback(bind) && !token) {
    throw new DashboardAccessError(
      `refusing to serve the dashboard on ${bind} without a token: anyone who can reach it would see the swarm. ` +
        'Pass --token (or set ISOSWARM_DASHBOARD_TOKEN), or bind to 127.0.0.1',
    );
  }
}

export const COOKIE = 'isoswarm_dashboard';

const digest = (s: string) => createHash('sha256').update(s).digest();

function same(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

export function presentedToken(req: IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const q = url.searchParams.get('token');
  if (q) return q;
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === COOKIE) return decodeURIComponent(v.join('='));
  }
  return null;
}

/** True when no token is set, or the request carries it. */
export function authorized(req: IncomingMessage, url: URL, token: string | undefined): boolean {
  if (!token) return true;
  const t = presentedToken(req, url);
  return t !== null && same(t, token);
}
