// Loads a hook handler by path (src/ never imports hooks/) and runs it, plus any site hooks from
// config: commands that get the event as JSON on stdin and fail the hook with a non-zero exit.
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../package-root.js';
import type { Config } from '../schemas/config.js';
import type { HookEvent, HookHandler, HookHandlerResult, HookMemory } from '../schemas/hook-types.js';

const cache = new Map<string, HookHandler>();

async function loadHandler(path: string): Promise<HookHandler> {
  // Built-in handlers are compiled next to src/ under dist/.
  const abs = isAbsolute(path) ? path : resolve(packageRoot, 'dist', path);
  let h = cache.get(abs);
  if (!h) {
    const mod = (await import(pathToFileURL(abs).href)) as { default?: HookHandler };
    if (typeof mod.default !== 'function') throw new Error(`hook module ${abs} has no default export function`);
    h = mod.default;
    cache.set(abs, h);
  }
  return h;
}

/** Loads the built-in handler of a hook ahead of time (so a caller can keep its locks short). */
export async function preloadHandler(event: HookEvent, config: Config): Promise<void> {
  const builtin = config.hooks.builtin[event.hook];
  if (builtin) await loadHandler(builtin);
}

/**
 * Runs only the built-in handler, for its checks (a missing --file, an empty message), against a
 * memory whose writes are thrown away: a hook that must be spooled still fails now on bad input.
 */
export async function checkBuiltin(event: HookEvent, config: Config, memory: HookMemory): Promise<void> {
  const builtin = config.hooks.builtin[event.hook];
  if (builtin) await (await loadHandler(builtin))(event, { memory });
}

export class HookFailure extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HookFailure';
  }
}

export async function runHookHandlers(
  event: HookEvent,
  config: Config,
  memory: HookMemory,
): Promise<HookHandlerResult> {
  const builtin = config.hooks.builtin[event.hook];
  let result: HookHandlerResult = { message: `${event.hook} recorded` };
  if (builtin) {
    const handler = await loadHandler(builtin);
    result = await handler(event, { memory });
  }
  const site = config.hooks.site[event.hook] ?? [];
  // execa loads only when a site hook exists: hooks sit on an editor's critical path.
  const { run } = site.length ? await import('../host/exec.js') : { run: null };
  for (const cmd of site) {
    const r = await run!('/bin/sh', ['-c', cmd], { input: JSON.stringify(event), timeout: 30_000 });
    if (r.exitCode !== 0)
      throw new HookFailure(`site hook "${cmd}" exited ${r.exitCode}: ${r.stderr.trim().slice(0, 500)}`);
  }
  return result;
}
