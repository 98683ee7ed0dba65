// isoswarm's entries in Claude Code's settings.json "hooks": added beside the user's own hooks and
// removed again by their command, never touching anything else.
export const HOOK_COMMAND = 'isoswarm hooks claude';

interface HookCmd {
  type: 'command';
  command: string;
  timeout?: number;
  async?: boolean;
}
interface Group {
  matcher?: string;
  hooks: HookCmd[];
}
type Settings = Record<string, unknown> & { hooks?: Record<string, Group[]> };

/** Events that get an answer run in line; the rest need none and run async (the client does not wait). */
export const OUR_GROUPS: Record<string, Group> = {
  SessionStart: { hooks: [{ type: 'command', command: HOOK_COMMAND, timeout: 10 }] },
  UserPromptSubmit: { hooks: [{ type: 'command', command: HOOK_COMMAND, timeout: 10 }] },
  PreToolUse: { matcher: 'Bash', hooks: [{ type: 'command', command: HOOK_COMMAND, timeout: 10 }] },
  PermissionRequest: { hooks: [{ type: 'command', command: HOOK_COMMAND, timeout: 10, async: true }] },
  PostToolUse: { hooks: [{ type: 'command', command: HOOK_COMMAND, timeout: 10, async: true }] },
  PostToolUseFailure: { hooks: [{ type: 'command', command: HOOK_COMMAND, timeout: 10, async: true }] },
  Notification: { hooks: [{ type: 'command', command: HOOK_COMMAND, timeout: 10, async: true }] },
  Stop: { hooks: [{ type: 'command', command: HOOK_COMMAND, timeout: 10, async: true }] },
  SubagentStop: { hooks: [{ type: 'command', command: HOOK_COMMAND, timeout: 10, async: true }] },
  PreCompact: { hooks: [{ type: 'command', command: HOOK_COMMAND, timeout: 10, async: true }] },
  SessionEnd: { hooks: [{ type: 'command', command: HOOK_COMMAND, timeout: 10, async: true }] },
};

const ours = (h: unknown): boolean =>
  typeof (h as HookCmd)?.command === 'string' && (h as HookCmd).command.trim().startsWith(HOOK_COMMAND);

export class SettingsShapeError extends Error {}

function hooksOf(s: Settings): Record<string, Group[]> {
  if (s.hooks === undefined) return {};
  if (!s.hooks || typeof s.hooks !== 'object' || Array.isArray(s.hooks))
    throw new SettingsShapeError('"hooks" in the settings file is not an object');
  for (const [ev, groups] of Object.entries(s.hooks)) {
    if (!Array.isArray(groups)) throw new SettingsShapeError(`"hooks.${ev}" in the settings file is not a list`);
  }
  return s.hooks;
}

/** The settings with isoswarm's hook groups added (already-present ones are left as they are). */
export function addOurHooks(settings: Settings): Settings {
  const hooks = { ...hooksOf(settings) };
  for (const [ev, group] of Object.entries(OUR_GROUPS)) {
    const list = hooks[ev] ?? [];
    if (list.some((g) => Array.isArray(g?.hooks) && g.hooks.some(ours))) continue;
    hooks[ev] = [...list, group];
  }
  return { ...settings, hooks };
}

/** The settings without any isoswarm hook; groups and events left empty by that are dropped. */
export function removeOurHooks(settings: Settings): Settings {
  if (settings.hooks === undefined) return settings;
  const hooks: Record<string, Group[]> = {};
  for (const [ev, groups] of Object.entries(hooksOf(settings))) {
    const kept = groups
      .map((g) =>
        Array.isArray(g?.hooks) && g.hooks.some(ours) ? { ...g, hooks: g.hooks.filter((h) => !ours(h)) } : g,
      )
      .filter((g) => !(Array.isArray(g?.hooks) && g.hooks.length === 0));
    if (kept.length) hooks[ev] = kept;
  }
  const out: Settings = { ...settings, hooks };
  if (Object.keys(hooks).length === 0) delete out.hooks;
  return out;
}
