// The one owner of pino: JSON lines for files and pipes, pretty output on a TTY.
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  name: string;
  verbose?: boolean;
  /** Write JSON lines to this file descriptor/path instead of stderr. */
  destination?: string | number;
}

export function createLogger(opts: LoggerOptions): Logger {
  const level =
    opts.verbose || process.env.ISOSWARM_VERBOSE === '1' ? 'debug' : (process.env.ISOSWARM_LOG_LEVEL ?? 'info');
  const base = { name: opts.name, pid: process.pid };
  if (opts.destination === undefined && process.stderr.isTTY) {
    return pino(
      { level, base },
      pino.transport({ target: 'pino-pretty', options: { destination: 2, colorize: true } }),
    );
  }
  return pino({ level, base }, pino.destination({ dest: opts.destination ?? 2, sync: true }));
}
