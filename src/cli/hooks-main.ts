// The lean entry for `isoswarm hooks ...`: hooks sit on an editor's critical path, so this bundle
// carries only what a hook call needs (bin.cts picks it).
import { registerHooks } from './commands/hooks.js';
import { buildProgram, runProgram } from './program.js';

void runProgram(buildProgram([registerHooks]));
