// Requests that carry an id are applied once: a client that lost the reply (its server went away
// mid-request) and asks again gets the first answer, or waits for it, instead of a second update.
// Kept in memory for the last KEEP ids: a retry comes seconds after, not after a coordinator restart.
const KEEP = 10_000;

export class OnceCache<T> {
  private readonly seen = new Map<string, Promise<T>>();

  run(id: string | undefined, f: () => Promise<T>): Promise<T> {
    if (id === undefined) return f();
    const had = this.seen.get(id);
    if (had) return had;
    const p = f();
    this.seen.set(id, p);
    // A failed request may be asked again for real.
    p.catch(() => this.seen.delete(id));
    if (this.seen.size > KEEP) this.seen.delete(this.seen.keys().next().value!);
    return p;
  }
}
