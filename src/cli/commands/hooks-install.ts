// isoswarm hooks install|uninstall [--project|--user] [--settings FILE] [--dry-run]
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CliError, EXIT } from '../exit-codes.js';
import { printJson, printLine } from '../output.js';

export interface InstallFlags {
  project?: boolean;
  user?: boolean;
  settings?: string;
  dryRun?: boolean;
  json?: boolean;
}

export function settingsPath(o: InstallFlags): string {
  if (o.project && o.user) throw new CliError('use either --project or --user', EXIT.usage);
  if (o.settings) return resolve(o.settings);
  return o.user
    ? join(process.env.HOME || homedir(), '.claude', 'settings.json')
    : join(process.cwd(), '.claude', 'settings.json');
}

export async function installCommand(verb: 'install' | 'uninstall', o: InstallFlags): Promise<void> {
  const file = settingsPath(o);
  const { installHooks, uninstallHooks } = await import('../../claude/settings-file.js');
  let r;
  try {
    r = verb === 'install' ? installHooks(file, o.dryRun ?? false) : uninstallHooks(file, o.dryRun ?? false);
  } catch (e) {
    throw new CliError((e as Error).message, EXIT.usage);
  }
  if (o.json) printJson(r);
  else {
    printLine(r.action);
    if (o.dryRun && r.changed) printLine(r.diff);
  }
}
