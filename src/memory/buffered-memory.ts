// A hook handler's view of the memory whose writes are held back and committed in one transaction
// with whatever the caller adds (a spooled event's "done" marker): the event's effects land whole
// or not at all, so a drain interrupted at any point is finished by the next one exactly once.
import type { HookMemory } from '../schemas/hook-types.js';
import { checked } from './operations.js';
import type { BatchWrite } from './store.js';

export class BufferedMemory implements HookMemory {
  readonly writes: BatchWrite[] = [];
  readonly view = new Map<string, unknown>();

  /** `read` is the committed value under a key (undefined when none, or when there is no store). */
  constructor(private readonly read: (key: string) => unknown) {}

  get(key: string): unknown {
    return this.view.has(key) ? this.view.get(key) : this.read(key);
  }

  async set(key: string, value: unknown): Promise<void> {
    checked(key, value);
    this.view.set(key, value);
    this.writes.push({ key, value });
  }

  /** The returned value is computed on this view; the commit applies `fn` to the committed value. */
  async update(key: string, fn: (old: unknown) => unknown): Promise<unknown> {
    const value = fn(this.get(key));
    this.view.set(key, value);
    this.writes.push({ key, fn });
    return value;
  }
}
