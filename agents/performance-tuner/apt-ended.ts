// Sessions that ended before their build's detach got an answer: a reap ended them (their overlay was
// taken away, e.g. by a teardown after a refused detach), or a detach whose caller had given up
// waiting (it asks again after the teardown). That build's detach is answered with what was counted
// then, as ended already, not as "not found" (which a run would take for a failed detach). Each answer
// goes once, and only to the run that attached: a later run's detach of the same chroot (its attach
// had no answer) never gets an earlier run's use.
import type { AptDetach, AptSession } from './caches.js';

export type EndedReply = AptDetach & { endedEarlier: { at: string; reason: string } };

/** Enough for every build a tuner serves at once; the oldest go first. */
const KEEP = 64;

const slot = (key: string, runId: string | null): string => `${key}\0${runId ?? ''}`;

export class EndedSessions {
  private readonly bySlot = new Map<string, { session: AptSession; reply: EndedReply }>();

  remember(key: string, session: AptSession, d: AptDetach, reason: string): void {
    const k = slot(key, session.runId);
    this.bySlot.delete(k);
    this.bySlot.set(k, { session, reply: { ...d, endedEarlier: { at: new Date().toISOString(), reason } } });
    for (const old of this.bySlot.keys()) {
      if (this.bySlot.size <= KEEP) break;
      this.bySlot.delete(old);
    }
  }

  /**
   * What ended `key`'s session for run `runId` (one attached without a run id answers any run), used
   * up by this answer; only `session`'s, when given (not one before a newer attach).
   */
  take(key: string, runId: string | null, session?: AptSession): EndedReply | undefined {
    for (const k of runId ? [slot(key, runId), slot(key, null)] : [slot(key, null)]) {
      const e = this.bySlot.get(k);
      if (!e || (session && e.session !== session)) continue;
      this.bySlot.delete(k);
      return e.reply;
    }
    return undefined;
  }

  /** The chroot is attached again: a detach without a run id from now on is the new session's. */
  forget(key: string): void {
    this.bySlot.delete(slot(key, null));
  }
}
