#!/usr/bin/env node
// isoswarm command line. Commands load what they need only when they run: hooks sit on an editor's
// critical path, so start-up stays lean.
import { Command, CommanderError } from 'commander';
import { registerCleanup } from './commands/cleanup.js';
import { registerDemo } from './commands/demo.js';
import { registerDoctor } from './commands/doctor.js';
import { registerHooks } from './commands/hooks.js';
import { registerLifecycle } from './commands/lifecycle.js';
import { registerMemory } from './commands/memory.js';
import { registerMonitor } from './commands/monitor.js';
import { registerPatterns } from './commands/patterns.js';
import { registerReport } from './commands/report.js';
import { registerRun } from './commands/run.js';
import { registerShellInit } from './commands/shell-init.js';
import { registerStatus } from './commands/status.js';
import { registerTune } from './commands/tune.js';
import { registerUnmount } from './commands/unmount.js';
import { CliError, EXIT } from './exit-codes.js';

const program = new Command('isoswarm')
  .description('keeps ISO, live-image and chroot builds fast and the build host unharmed')
  .option('--config <file>', 'a JSON config file merged over config/default.json (also ISOSWARM_CONFIG)')
  .option('-v, --verbose', 'debug logging')
  .enablePositionalOptions()
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    `
Exit codes: 0 done, 1 failed, 2 bad usage or input, 3 refused by a safety check (nothing changed), 4 swarm or tool unavailable.
Environment: NATS_URL, OPTIMIZATION_ENABLED, PARALLEL_JOBS, CLEANUP_AUTO_TRIGGER, PERFORMANCE_MONITORING, ISOSWARM_HOME, ISOSWARM_CONFIG.`,
  )
  .exitOverride();

const globals = () => program.opts<{ config?: string; verbose?: boolean }>();
for (const reg of [registerLifecycle, registerStatus, registerDoctor, registerMemory, registerPatterns, registerHooks, registerMonitor, registerUnmount, registerShellInit, registerRun, registerCleanup, registerDemo, registerTune, registerReport]) reg(program, globals);

async function main(): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; usage errors were already printed by commander.
      process.exitCode = e.exitCode === 0 ? 0 : EXIT.usage;
      return;
    }
    // Errors from the bus carry a code: the swarm or an agent is not there, or it said no.
    if (e instanceof Error && e.name === 'BusError') {
      const code = (e as Error & { code?: string }).code;
      process.stderr.write(`isoswarm: ${e.message}${code === 'unavailable' ? ' (is the swarm running the same version? try `isoswarm down && isoswarm up`)' : ''}\n`);
      process.exitCode = code === 'unavailable' || code === 'timeout' ? EXIT.unavailable : code === 'bad-request' ? EXIT.usage : code === 'refused' ? EXIT.refused : EXIT.failed;
      return;
    }
    if (e instanceof CliError) {
      process.stderr.write(`isoswarm: ${e.message}\n`);
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`isoswarm: unexpected error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = EXIT.failed;
  }
}

await main();
