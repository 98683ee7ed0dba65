// Sessions a reap ended (their overlay was taken away, e.g. by a teardown after a refused detach),
// kept for their build's own detach, which comes after: it is answered with what the reap counted,
// as ended already, not as "not found" (which a run would take for a failed detach).
import type { AptDetach, AptSession } from './caches.js';

export type EndedReply = AptDetach & { endedEarlier: { at: string; reason: string } };

/** Enough for every build a tuner serves at once; the oldest go first. */
const KEEP = 64;

export class EndedSessions {
  private readonly byKey = new Map<string, { session: AptSession; reply: EndedReply }>();

  remember(key: string, session: AptSession, d: AptDetach, reason: string): void {
    this.byKey.delete(key);
    this.byKey.set(key, { session, reply: { ...d, endedEarlier: { at: new Date().toISOString(), reason } } });
    for (const k of this.byKey.keys()) {
      if (this.byKey.size <= KEEP) break;
      this.byKey.delete(k);
    }
  }

  /** What ended `key`'s session (only `session`, when given: not one before a newer attach). */
  reply(key: string, session?: AptSession): EndedReply | undefined {
    const e = this.byKey.get(key);
    return e && (!session || e.session === session) ? e.reply : undefined;
  }

  /** The chroot is attached again: a detach from now on is the new session's. */
  forget(key: string): void {
    this.byKey.delete(key);
  }
}
