// The commander program shared by the full CLI and the lean hooks entry, and how it ends: every
// error becomes a one-line message and an exit code from exit-codes.ts.
import { Command, CommanderError } from 'commander';
import type { GlobalOptions } from './context.js';
import { diskFullMessage, isDiskFull } from './disk-full.js';
import { CliError, EXIT, exitForBusCode } from './exit-codes.js';

export type Register = (program: Command, globals: () => GlobalOptions) => void;

export function buildProgram(registers: Register[]): Command {
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
  // --verbose reaches this process's logger and every process it starts (coordinator, agents).
  // --host (on every command) names the farm host whose swarm a command talks to, or that `up` is.
  program.hook('preAction', (_top, action) => {
    if (program.opts<GlobalOptions>().verbose) process.env.ISOSWARM_VERBOSE = '1';
    const host = (action.opts() as { host?: string }).host;
    if (host !== undefined) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(host))
        throw new CliError(
          `--host "${host}": a host name is one NATS subject token (letters, digits, _ and -)`,
          EXIT.usage,
        );
      process.env.ISOSWARM_HOST = host;
    }
  });
  const globals = () => program.opts<GlobalOptions>();
  for (const reg of registers) reg(program, globals);
  addHostOption(program);
  return program;
}

/** Every command takes `--host H`: its requests go to host H's coordinator and agents on a farm's bus. */
function addHostOption(cmd: Command): void {
  for (const sub of cmd.commands) {
    if (sub.commands.length) addHostOption(sub);
    else if (!sub.options.some((o) => o.long === '--host'))
      sub.option('--host <name>', 'the farm host to act on (default: config host, ISOSWARM_HOST, the hostname)');
  }
}

export async function runProgram(program: Command, argv = process.argv): Promise<void> {
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version exit 0; usage errors were already printed by commander.
      process.exitCode = e.exitCode === 0 ? 0 : EXIT.usage;
      return;
    }
    if (isDiskFull(e)) {
      process.stderr.write(`isoswarm: ${diskFullMessage(e)}\n`);
      process.exitCode = EXIT.failed;
      return;
    }
    // Errors from the bus carry a code: the swarm or an agent is not there, or it said no.
    if (e instanceof Error && e.name === 'BusError') {
      const code = (e as Error & { code?: string }).code;
      process.stderr.write(
        `isoswarm: ${e.message}${code === 'unavailable' ? ' (is the swarm running the same version? try `isoswarm down && isoswarm up`)' : ''}\n`,
      );
      process.exitCode = exitForBusCode(code);
      return;
    }
    if (e instanceof Error && e.name === 'MemoryStoreBusy') {
      process.stderr.write(`isoswarm: ${e.message}\n`);
      process.exitCode = EXIT.unavailable;
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
