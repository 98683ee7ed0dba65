// Exit codes the CLI promises (documented in --help and the README).
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
