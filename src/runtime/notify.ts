// Notifications: decisions worth knowing (a strategy reordered, an alert acted on, a lower job count
// recommended), published durably beside the notification hook's events so that one stream,
// `events.notification.<source>` and `events.hook.notification`, holds them all.
import type { NatsConnection } from '../bus/connect.js';
import { decodeJson } from '../bus/codec.js';
import { publishDurable } from '../bus/jetstream.js';
import { eventSubject } from '../bus/subjects.js';

export interface Notification {
  source: string;
  level: 'info' | 'warning';
  message: string;
  /** The memory key the decision came from, when one did. */
  key?: string;
  at: string;
}

export async function notify(nc: NatsConnection, prefix: string, n: Omit<Notification, 'at'>): Promise<void> {
  if (nc.isClosed()) return;
  await publishDurable(nc, eventSubject(prefix, 'notification', n.source), { ...n, at: new Date().toISOString() });
}

/** A notification from either kind of event: the agents' own, or a notification hook's. */
export function asNotification(subject: string, v: unknown): Notification | null {
  const o = v as Record<string, unknown> | null;
  if (!o || typeof o !== 'object') return null;
  if (subject.includes('.notification.') && typeof o.message === 'string' && typeof o.source === 'string')
    return o as unknown as Notification;
  if (subject.endsWith('.hook.notification') && typeof o.message === 'string')
    return {
      source: `hook${typeof o.taskId === 'string' ? ` ${o.taskId}` : ''}`,
      level: o.level === 'warning' || o.level === 'error' ? 'warning' : 'info',
      message: o.message,
      at: typeof o.at === 'string' ? o.at : new Date().toISOString(),
    };
  return null;
}

/** Calls `show` for every notification as it arrives (the coordinator's log, `isoswarm monitor`). */
export function watchNotifications(nc: NatsConnection, prefix: string, show: (n: Notification) => void): () => void {
  const subs = [eventSubject(prefix, 'notification', '>'), eventSubject(prefix, 'hook', 'notification')].map((s) =>
    nc.subscribe(s, {
      callback: (err, m) => {
        if (err) return;
        try {
          const n = asNotification(m.subject, decodeJson(m.data));
          if (n) show(n);
        } catch {
          /* not JSON: not a notification */
        }
      },
    }),
  );
  return () => subs.forEach((s) => s.unsubscribe());
}
