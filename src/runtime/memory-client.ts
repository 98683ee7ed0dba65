// How agents use the memory: through the coordinator, its single writer. Learning is best effort:
// a memory that cannot be reached must never fail the work itself (the caller logs it).
import type { NatsConnection } from '../bus/connect.js';
import { requestEndpoint } from '../bus/request.js';
import type { LearningEvent } from '../schemas/memory-ops.js';

export class MemoryClient {
  constructor(
    private readonly nc: NatsConnection,
    private readonly prefix: string,
    private readonly timeoutMs = 5000,
  ) {}

  async get<T = unknown>(key: string): Promise<T | undefined> {
    try {
      const e = await requestEndpoint<{ value: T }>(
        this.nc,
        this.prefix,
        'coordinator',
        'memory-get',
        { key },
        this.timeoutMs,
      );
      return e.value;
    } catch (e) {
      if ((e as { code?: string }).code === 'not-found') return undefined;
      throw e;
    }
  }

  async set(key: string, value: unknown): Promise<void> {
    await requestEndpoint(this.nc, this.prefix, 'coordinator', 'memory-set', { key, value }, this.timeoutMs);
  }

  async record(events: LearningEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 500) {
      await requestEndpoint(
        this.nc,
        this.prefix,
        'coordinator',
        'memory-record',
        { events: events.slice(i, i + 500) },
        this.timeoutMs,
      );
    }
  }
}
