// --optimize-system, the apply: every original value is checkpointed to a file, fsynced, BEFORE the
// first write (kernel-rollback.ts restores from it, even from another process after a crash).
import { existsSync, readFileSync } from 'node:fs';
import { writeFileDurable } from '../fs/durable-write.js';
import { writeValue } from './kernel-files.js';
import {
  planSystem,
  type Checkpoint,
  type CheckpointEntry,
  type SettingPlan,
  type SystemTargets,
} from './kernel-plan.js';

export interface OptimizeReport {
  dryRun: boolean;
  checkpointPath: string | null;
  plan: SettingPlan[];
  applied: string[];
  /** Settings whose write the kernel refused (read-only here): reported, not faked. */
  failed: { name: string; error: string }[];
}

/**
 * Applies the plan. Refuses when a checkpoint already exists at `checkpointPath`: its originals
 * are the real ones (a crashed run), so it must be rolled back first, never overwritten.
 */
export function optimizeSystem(opts: {
  buildDir: string;
  checkpointPath: string;
  dryRun?: boolean;
  targets?: Partial<SystemTargets>;
}): OptimizeReport {
  const plan = planSystem(opts.buildDir, opts.targets);
  if (opts.dryRun) return { dryRun: true, checkpointPath: null, plan, applied: [], failed: [] };
  if (existsSync(opts.checkpointPath))
    throw new Error(`a checkpoint is pending at ${opts.checkpointPath}: roll it back before optimizing again`);
  const changes = plan.filter((p) => p.action === 'change');
  const entries: CheckpointEntry[] = changes.map((p) => {
    const raw = readFileSync(p.path);
    return {
      name: p.name,
      path: p.path,
      kind: p.kind,
      originalBase64: raw.toString('base64'),
      restoreValue: (p.current ?? '').trim(),
    };
  });
  const cp: Checkpoint = { version: 1, createdAt: new Date().toISOString(), pid: process.pid, entries };
  writeFileDurable(opts.checkpointPath, `${JSON.stringify(cp, null, 2)}\n`);
  const applied: string[] = [];
  const failed: { name: string; error: string }[] = [];
  for (const p of changes) {
    try {
      writeValue(p.path, p.target as string);
      applied.push(p.name);
    } catch (e) {
      failed.push({ name: p.name, error: (e as NodeJS.ErrnoException).code ?? String(e) });
      p.action = 'unavailable';
      p.reason = `write refused: ${(e as NodeJS.ErrnoException).code ?? String(e)}`;
    }
  }
  return { dryRun: false, checkpointPath: opts.checkpointPath, plan, applied, failed };
}
