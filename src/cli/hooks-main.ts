// The lean entry for `isoswarm hooks ...`: hooks sit on an editor's critical path, so this bundle
// carries only what a hook call needs (bin.cts picks it).
import { registerGuard } from './commands/guard.js';
import { registerHooks } from './commands/hooks.js';
import { EXIT } from './exit-codes.js';
import { buildProgram, runProgram } from './program.js';

// Editors treat exit 2 as "block the action": every problem of a hook ends with 1 instead. The
// guard and hooks install/uninstall keep the usual codes (guard: 0 allow, 3 deny, 2 bad usage).
const isHook = process.argv[2] === 'hooks' && process.argv[3] !== 'install' && process.argv[3] !== 'uninstall';
void runProgram(buildProgram([registerHooks, registerGuard])).then(() => {
  if (isHook && process.exitCode !== undefined && process.exitCode !== EXIT.ok) process.exitCode = EXIT.failed;
});
