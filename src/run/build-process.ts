// How a build ended, and what it is started with (see guarded-build.ts for how it runs).

export interface BuildExit {
  pid: number | null;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The build's exit code, or 128 + the signal number, as a shell reports it. */
  exitCode: number;
}

export interface BuildOptions {
  command: string[];
  env: NodeJS.ProcessEnv;
  /** In a private mount namespace with slave propagation: its mounts vanish with it. */
  isolate: boolean;
  /** Send the build's stdout to our stderr (when our stdout carries JSON). */
  stdoutToStderr?: boolean;
  onStart?: (pid: number) => void;
}
