// Installs and uninstalls isoswarm's hooks in a Claude Code settings file: the original bytes are kept
// beside it, so that uninstall gives the file back byte for byte when nothing else changed in between.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileDurable } from '../host/fs/durable-write.js';
import { isDeepStrictEqual } from 'node:util';
import { addOurHooks, removeOurHooks } from './settings-merge.js';
import { lineDiff } from './text-diff.js';

export interface SettingsChange {
  file: string;
  changed: boolean;
  diff: string;
  /** What happened or would happen, in a sentence. */
  action: string;
}

interface InstallRecord {
  existed: boolean;
  createdDir: boolean;
  at: string;
}

const backupOf = (file: string): string => `${file}.isoswarm-backup`;
const recordOf = (file: string): string => `${file}.isoswarm-install.json`;

function readSettings(file: string): { text: string; value: Record<string, unknown> } {
  if (!existsSync(file)) return { text: '', value: {} };
  const text = readFileSync(file, 'utf8');
  if (text.trim() === '') return { text, value: {} };
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}); fix it first, nothing was changed`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new Error(`${file} does not hold a JSON object; nothing was changed`);
  return { text, value: v as Record<string, unknown> };
}

/** Keeps the user's file mode; a crash leaves the old settings or the new, never a torn file. */
function writeAtomic(file: string, text: string): void {
  writeFileDurable(file, text, existsSync(file) ? statSync(file).mode & 0o777 : 0o644);
}

const render = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;

export function installHooks(file: string, dryRun: boolean): SettingsChange {
  const { text, value } = readSettings(file);
  const next = addOurHooks(value);
  const changed = !isDeepStrictEqual(next, value);
  const after = changed ? render(next) : text;
  const diff = lineDiff(text, after, file);
  if (!changed) return { file, changed, diff, action: 'isoswarm hooks are already installed; nothing to do' };
  if (dryRun) return { file, changed, diff, action: `would add isoswarm hooks to ${file} (backup: ${backupOf(file)})` };
  const dir = dirname(file);
  const createdDir = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  // The first install keeps the user's original; a re-install after edits keeps that first original.
  if (!existsSync(recordOf(file))) {
    const rec: InstallRecord = { existed: existsSync(file), createdDir, at: new Date().toISOString() };
    if (rec.existed) writeFileSync(backupOf(file), readFileSync(file));
    writeFileSync(recordOf(file), render(rec));
  }
  writeAtomic(file, after);
  return { file, changed, diff, action: `added isoswarm hooks to ${file} (backup: ${backupOf(file)})` };
}

export function uninstallHooks(file: string, dryRun: boolean): SettingsChange {
  const { text, value } = readSettings(file);
  const next = removeOurHooks(value);
  const rec = existsSync(recordOf(file)) ? (JSON.parse(readFileSync(recordOf(file), 'utf8')) as InstallRecord) : null;
  const backup = rec?.existed && existsSync(backupOf(file)) ? readFileSync(backupOf(file)) : null;
  // Nothing else changed since install: give the original bytes back (or no file, if there was none).
  let restore: 'bytes' | 'delete' | 'render' = 'render';
  if (rec && backup && isDeepStrictEqual(next, readSettingsText(backup.toString('utf8')))) restore = 'bytes';
  else if (rec && !rec.existed && Object.keys(next).length === 0) restore = 'delete';
  const after =
    restore === 'bytes'
      ? backup!.toString('utf8')
      : restore === 'delete'
        ? ''
        : isDeepStrictEqual(next, value)
          ? text
          : render(next);
  const changed = after !== text || (restore === 'delete' && existsSync(file));
  const diff = lineDiff(text, after, file);
  if (dryRun)
    return {
      file,
      changed,
      diff,
      action: changed
        ? `would remove isoswarm hooks from ${file}${restore === 'bytes' ? ' (restoring the original bytes)' : ''}`
        : 'no isoswarm hooks installed; nothing to do',
    };
  if (restore === 'bytes') writeFileSync(file, backup!);
  else if (restore === 'delete') {
    rmSync(file, { force: true });
    if (rec?.createdDir && readdirSync(dirname(file)).every((n) => n.startsWith('settings.json.isoswarm-'))) {
      rmSync(recordOf(file), { force: true });
      rmdirSync(dirname(file));
    }
  } else if (changed) writeAtomic(file, after);
  if (rec) {
    rmSync(recordOf(file), { force: true });
    rmSync(backupOf(file), { force: true });
  }
  return {
    file,
    changed,
    diff,
    action: changed
      ? `removed isoswarm hooks from ${file}${restore === 'bytes' ? ' (original bytes restored)' : ''}`
      : 'no isoswarm hooks installed; nothing to do',
  };
}

function readSettingsText(text: string): unknown {
  return text.trim() === '' ? {} : JSON.parse(text);
}
