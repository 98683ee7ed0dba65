// The logging surface host code needs; a pino Logger satisfies it, so src/host stays free of pino.
export interface LogLike {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

/** Used when the caller passes no logger: host code never prints on its own. */
export const silentLog: LogLike = {
  info: () => undefined,
  warn: () => undefined,
};
