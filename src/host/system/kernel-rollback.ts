// --optimize-system, the rollback: restores each checkpointed setting and verifies that the file reads
// back byte-for-byte as before; the checkpoint is kept until every setting does.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { readRaw, writeValue } from './kernel-files.js';
import type { Checkpoint } from './kernel-plan.js';

export function readCheckpoint(path: string): Checkpoint | null {
  if (!existsSync(path)) return null;
  const cp = JSON.parse(readFileSync(path, 'utf8')) as Checkpoint;
  if (cp.version !== 1 || !Array.isArray(cp.entries)) throw new Error(`${path} is not an isoswarm system checkpoint`);
  return cp;
}

export interface RollbackReport {
  checkpointPath: string;
  restored: string[];
  unchanged: string[];
  /** Settings that do not read back byte-for-byte as checkpointed (the checkpoint is then kept). */
  mismatched: { name: string; expected: string; actual: string | null }[];
  checkpointRemoved: boolean;
}

/** Restores every checkpointed setting (last changed first) and verifies each byte-for-byte. */
export function rollback(checkpointPath: string, opts: { keepCheckpoint?: boolean } = {}): RollbackReport {
  const cp = readCheckpoint(checkpointPath);
  const report: RollbackReport = {
    checkpointPath,
    restored: [],
    unchanged: [],
    mismatched: [],
    checkpointRemoved: false,
  };
  if (!cp) return report;
  for (const e of [...cp.entries].reverse()) {
    const original = Buffer.from(e.originalBase64, 'base64');
    const before = readRaw(e.path);
    if (before?.equals(original)) {
      report.unchanged.push(e.name);
      continue;
    }
    try {
      writeValue(e.path, e.restoreValue);
    } catch {
      /* verified below */
    }
    const after = readRaw(e.path);
    if (after?.equals(original)) report.restored.push(e.name);
    else
      report.mismatched.push({
        name: e.name,
        expected: original.toString().trim(),
        actual: after?.toString().trim() ?? null,
      });
  }
  if (report.mismatched.length === 0 && !opts.keepCheckpoint) {
    rmSync(checkpointPath, { force: true });
    report.checkpointRemoved = true;
  }
  return report;
}
