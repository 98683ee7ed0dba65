// isoswarm command line. Commands load what they need only when they run.
import { registerBootstrap } from './commands/bootstrap.js';
import { registerCache } from './commands/cache.js';
import { registerCleanup } from './commands/cleanup.js';
import { registerDashboard } from './commands/dashboard.js';
import { registerDemo } from './commands/demo.js';
import { registerDoctor } from './commands/doctor.js';
import { registerFarm } from './commands/farm.js';
import { registerGuard } from './commands/guard.js';
import { registerHooks } from './commands/hooks.js';
import { registerLifecycle } from './commands/lifecycle.js';
import { registerMcp } from './commands/mcp.js';
import { registerMemory } from './commands/memory.js';
import { registerMonitor } from './commands/monitor.js';
import { registerPatterns } from './commands/patterns.js';
import { registerReport } from './commands/report.js';
import { registerRun } from './commands/run.js';
import { registerRuns } from './commands/runs.js';
import { registerShellInit } from './commands/shell-init.js';
import { registerShellRun } from './commands/shell-run.js';
import { registerStatus } from './commands/status.js';
import { registerTune } from './commands/tune.js';
import { registerUnmount } from './commands/unmount.js';
import { buildProgram, runProgram } from './program.js';

const program = buildProgram([
  registerLifecycle,
  registerStatus,
  registerDoctor,
  registerFarm,
  registerMemory,
  registerPatterns,
  registerHooks,
  registerGuard,
  registerMonitor,
  registerUnmount,
  registerShellInit,
  registerShellRun,
  registerRun,
  registerRuns,
  registerCleanup,
  registerDemo,
  registerTune,
  registerReport,
  registerBootstrap,
  registerCache,
  registerDashboard,
  registerMcp,
]);
void runProgram(program);
