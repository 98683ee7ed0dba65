// Finishing a run whose runner (the `isoswarm run` process) was lost: the build's process group is
// ended if its guardian could not do it, then post-task runs exactly as the CLI would have run it,
// and the record is saved marked "runner lost". Used by the coordinator, now or when one next starts.
import { join } from 'node:path';
import { isAlive, refOf } from '../host/proc/process-identity.js';
import type { StatePaths } from '../host/system/state-dir.js';
import type { RunRecordInput } from '../schemas/run-record.js';
import { endGroup, groupMembers } from './process-group.js';
import { postTask, type Call } from './post-task.js';
import { markDone, readEntry, takeClaim, writeDurable, type RegistryEntry } from './registry.js';
import { saveRun } from './save.js';

/** Whether this entry is a lost run that a coordinator should finish now. */
export function needsTakeover(e: RegistryEntry): boolean {
  if (e.done || !e.run) return false;
  const cliGone = !isAlive(e.run.cli);
  if (!cliGone && !e.lost) return false;
  // Just registered, guardian not yet recorded: give it the lease time to appear.
  if (!e.guardian && !e.exit && Date.now() - e.mtimeMs < e.run.leaseMs) return false;
  // A living guardian is still ending the build; it writes exit.json when it is done.
  if (e.guardian && isAlive(e.guardian.guardian) && !e.exit) return false;
  // A claim held by a living process (the CLI doing post-task, or another coordinator) stands.
  if (e.claim && isAlive(e.claim.by)) return false;
  return true;
}

export interface LostRunResult {
  runId: string;
  recordFile: string;
  report: string;
  exitCode: number | null;
}

export async function finishLostRun(
  paths: StatePaths,
  runId: string,
  call: Call,
  log: { info: (o: object, m: string) => void },
): Promise<LostRunResult | null> {
  let e = readEntry(paths.root, runId);
  if (!needsTakeover(e) || !e.run) return null;
  const me = refOf(process.pid)!;
  if (!takeClaim(e.dir, me, 'coordinator')) return null;
  const reason = e.lost?.reason ?? 'the runner (isoswarm run) is gone and so is its guardian';
  if (!e.lost) writeDurable(join(e.dir, 'lost.json'), { at: new Date().toISOString(), reason });
  // The guardian died too: the build's group is ended here (same TERM, grace, KILL).
  if (!e.exit && e.guardian && groupMembers(e.guardian.pgid).length) {
    const g = await endGroup(e.guardian.pgid, e.run.graceMs);
    writeDurable(join(e.dir, 'group-end.json'), g);
  }
  e = readEntry(paths.root, runId);
  const run = e.run!;
  const record: RunRecordInput = { ...run.record };
  const notes = (record.notes = [...(record.notes ?? [])]);
  notes.push(`runner lost: ${reason}; the swarm (coordinator pid ${process.pid}) ended the build and did post-task`);
  record.runnerLost = { at: e.lost?.at ?? new Date().toISOString(), reason, finishedBy: 'coordinator' };
  record.exitCode = e.exit?.exitCode ?? null;
  record.signal = e.exit?.signal ?? null;
  const phases = (record.phases = [...(record.phases ?? [])]);
  const build = phases.find((p) => p.name === 'build');
  if (build && !build.endedAt) {
    build.endedAt = e.exit?.at ?? new Date().toISOString();
    build.status = 'runner lost';
  }
  const post = {
    name: 'post-task',
    startedAt: new Date().toISOString(),
    endedAt: null as string | null,
    status: 'running',
  };
  phases.push(post);
  const patterns = new Set<string>();
  log.info({ runId, reason }, 'finishing a run whose runner was lost');
  try {
    await postTask(call, {
      runId,
      name: run.name,
      chroot: run.chroot,
      keepOnFailure: run.keepOnFailure,
      keep: run.keep ?? null,
      aptCache: run.aptCache,
      systemApplied: run.systemApplied,
      dir: e.dir,
      record,
      patterns,
    });
    post.status = 'ok';
  } catch (err) {
    post.status = 'failed';
    notes.push(`post-task: ${(err as Error).message}`);
  }
  post.endedAt = new Date().toISOString();
  record.patternsUpdated = [...patterns];
  const saved = saveRun(paths, record);
  markDone(e.dir, {
    at: new Date().toISOString(),
    recordFile: saved.file,
    report: saved.html,
    exitCode: record.exitCode ?? null,
    runnerLost: true,
  });
  return { runId, recordFile: saved.file, report: saved.html, exitCode: record.exitCode ?? null };
}
