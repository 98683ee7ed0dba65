// Exit codes the CLI promises (documented in --help and the README).
import { BUS_ERRORS, isBusErrorCode } from '../schemas/bus-error.js';

export const EXIT = {
  ok: 0,
  failed: 1, // the work was attempted and failed
  usage: 2, // bad arguments or bad input
  refused: 3, // a safety check refused the work; nothing was changed
  unavailable: 4, // the swarm or a required tool is not there
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** The exit code for an error that came over the bus (the one table: BUS_ERRORS). */
export function exitForBusCode(code: unknown): number {
  return isBusErrorCode(code) ? EXIT[BUS_ERRORS[code].exit] : EXIT.failed;
}
