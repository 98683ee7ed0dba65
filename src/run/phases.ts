// Phase bookkeeping of a run: each phase has a start, an end and a status, shown in the report.
import type { RunPhase } from '../schemas/run-record.js';

export class Phases {
  readonly list: RunPhase[] = [];

  /** Called whenever a phase starts, ends or changes status (the run announces its progress). */
  constructor(private readonly onChange: () => void = () => undefined) {}

  async run<T>(name: string, fn: () => Promise<T>, say?: (m: string) => void): Promise<T> {
    const p: RunPhase = { name, startedAt: new Date().toISOString(), endedAt: null, status: 'running' };
    this.list.push(p);
    this.onChange();
    say?.(`${name}…`);
    try {
      const r = await fn();
      if (p.status === 'running') p.status = 'ok';
      return r;
    } catch (e) {
      p.status = 'failed';
      p.error = (e as Error).message;
      throw e;
    } finally {
      p.endedAt = new Date().toISOString();
      this.onChange();
    }
  }

  /** Marks the most recent phase with a status other than ok (e.g. the build failed). */
  mark(status: string): void {
    const p = this.list[this.list.length - 1];
    if (p) p.status = status;
    this.onChange();
  }
}
