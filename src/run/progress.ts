// A run announces its phases on core NATS as they change, for dashboards: disposable, never awaited,
// so a slow or absent reader cannot hold the build up.
import type { NatsConnection } from '../bus/connect.js';
import { encodeJson } from '../bus/codec.js';
import { runProgressSubject } from '../bus/subjects.js';
import type { RunRecordInput } from '../schemas/run-record.js';

export interface RunProgress {
  runId: string;
  name: string;
  host: string;
  startedAt: string;
  endedAt: string | null;
  exitCode: number | null;
  phases: { name: string; startedAt: string; endedAt: string | null; status: string }[];
  tuning: Record<string, string> | null;
}

export function announceRun(nc: NatsConnection, prefix: string, record: RunRecordInput): void {
  if (nc.isClosed()) return;
  const msg: RunProgress = {
    runId: record.runId,
    name: record.name,
    host: record.host ?? '',
    startedAt: record.startedAt,
    endedAt: record.endedAt ?? null,
    exitCode: record.endedAt ? (record.exitCode ?? null) : null,
    phases: (record.phases ?? []).map((p) => ({
      name: p.name,
      startedAt: p.startedAt,
      endedAt: p.endedAt,
      status: p.status,
    })),
    tuning: record.tuning?.applied ?? null,
  };
  try {
    nc.publish(runProgressSubject(prefix), encodeJson(msg));
  } catch {
    /* a dashboard missing one update is harmless */
  }
}
