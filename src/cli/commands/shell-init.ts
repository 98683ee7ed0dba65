// isoswarm shell-init [bash]: the request's bash functions, each a thin call of this CLI, for build
// scripts that `source <(isoswarm shell-init)`. They run in the calling shell, so the settings that
// optimize_performance exports reach the build itself. No traps, no background loops.
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../package-root.js';
import { CliError, EXIT } from '../exit-codes.js';

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function shellInit(node: string, cli: string, shimDir?: string): string {
  // The mksquashfs shim goes first on PATH, once: later mksquashfs calls are tuned for their tree.
  const shims = shimDir
    ? `
  case ":$PATH:" in *:${quote(shimDir)}:*) ;; *) export PATH=${quote(shimDir)}:"$PATH" ;; esac
  export ISOSWARM_SHIM_DIR=${quote(shimDir)} ISOSWARM_NODE=${quote(node)} ISOSWARM_SQUASHFS="\${ISOSWARM_SQUASHFS:-fill}"`
    : '';
  return `# isoswarm shell integration (bash). Source it: source <(isoswarm shell-init)
isoswarm() { ${quote(node)} ${quote(cli)} "$@"; }

# Runs one function's work and records it as a step of this script's run (opened by
# init_optimization_system); returns the work's exit code.
__isoswarm_step() {
  local name="$1" t0 rc; shift
  t0="$(date +%s%3N)"
  "$@"; rc=$?
  if [ -n "\${ISOSWARM_SHELL_RUN:-}" ]; then
    isoswarm shell-run step "$ISOSWARM_SHELL_RUN" "$name" --started-ms "$t0" --exit "$rc" >/dev/null ||
      echo "isoswarm: $name was not recorded in run $ISOSWARM_SHELL_RUN" >&2
  fi
  return "$rc"
}

# Open this script's run (its id exported as ISOSWARM_RUN_ID, which the other functions and the
# mksquashfs shim attach to) and start the swarm (idempotent) so that later calls are fast. Under
# \`isoswarm run\` the run is already open and is used as it is; a script started by another script
# opens a run of its own. --chroot DIR: the script builds in DIR, which is locked from now until
# generate_build_report or this shell's end (__isoswarm_lock). __ISOSWARM_OWN_RUN (not exported)
# marks the run this shell opened: only that shell locks trees for it and closes it.
init_optimization_system() {
  local chroot="" named=""
  while [ "$#" -gt 0 ]; do
    case "$1" in
      --chroot) [ "$#" -ge 2 ] || { echo "usage: init_optimization_system [--chroot DIR]" >&2; return 2; }
        chroot="$2"; named=1; shift 2 ;;
      --chroot=*) chroot="\${1#--chroot=}"; named=1; shift ;;
      *) echo "usage: init_optimization_system [--chroot DIR]" >&2; return 2 ;;
    esac
  done
  if [ -z "\${ISOSWARM_RUN_ID:-}" ] || { [ -n "\${ISOSWARM_SHELL_RUN:-}" ] && [ "$ISOSWARM_SHELL_RUN" != "\${__ISOSWARM_OWN_RUN:-}" ]; }; then
    # The script's shell ($$) and this one ($BASHPID, a subshell in a pipeline): held while either lives.
    ISOSWARM_SHELL_RUN="$(isoswarm shell-run open --shell-pid "$$" --also-pid "$BASHPID" --name "$(basename -- "$0")" -- "$0")" || return $?
    __ISOSWARM_OWN_RUN="$ISOSWARM_SHELL_RUN"
    export ISOSWARM_SHELL_RUN ISOSWARM_RUN_ID="$ISOSWARM_SHELL_RUN"
  fi
  if [ -n "$named" ] && [ -z "$chroot" ]; then
    echo "isoswarm: init_optimization_system --chroot is empty: no tree is locked" >&2
  fi
  __isoswarm_step init_optimization_system __isoswarm_init "$chroot"
}
__isoswarm_init() {
  if [ -n "$1" ]; then __isoswarm_lock "$1" || return $?; fi
  [ "\${OPTIMIZATION_ENABLED:-true}" = "false" ] && { echo "isoswarm: OPTIMIZATION_ENABLED=false, skipping" >&2; return 0; }
  isoswarm up >/dev/null || return $?${shims}
}

# The same build lock on the script's tree DIR as \`isoswarm run\` holds on its chroot, held by a small
# process until generate_build_report or this shell's end: a cleanup, teardown or run of DIR by anyone
# else is refused meanwhile (exit 3). Under \`isoswarm run\` the run's own lock guards its chroot. Only a
# refusal fails the calling function; any other error is told and the script goes on.
__isoswarm_lock() {
  local rc=0
  [ -n "\${ISOSWARM_SHELL_RUN:-}" ] && [ "$ISOSWARM_SHELL_RUN" = "\${__ISOSWARM_OWN_RUN:-}" ] || return 0
  isoswarm shell-run lock "$ISOSWARM_SHELL_RUN" "$1" >/dev/null || rc=$?
  [ "$rc" -eq 3 ] && return 3
  [ "$rc" -eq 0 ] || echo "isoswarm: $1 is not locked (shell-run lock exit $rc)" >&2
  return 0
}

# Take chroots apart and delete build trees by policy: optimize_cleanup [DIR...]
# (no arguments: AILINUX_BUILD_CHROOT_DIR, AILINUX_BUILD_TEMP_DIR and the configured targets).
optimize_cleanup() { __isoswarm_step optimize_cleanup isoswarm cleanup "$@"; }

# Unmount everything under each DIR, children first, never lazily by default: optimize_unmount DIR...
optimize_unmount() { __isoswarm_step optimize_unmount __isoswarm_unmount "$@"; }
__isoswarm_unmount() {
  local rc=0 d
  [ "$#" -gt 0 ] || { echo "usage: optimize_unmount DIR..." >&2; return 2; }
  for d in "$@"; do isoswarm unmount "$d" || rc=$?; done
  return "$rc"
}

# Export the tuner's measured settings (PARALLEL_JOBS, MAKEFLAGS, XZ_DEFAULTS, ZSTD_NBTHREADS,
# MKSQUASHFS_OPTS) into THIS shell: optimize_performance [--mode auto|conservative|aggressive] [--target DIR]
# (DIR is locked as with init_optimization_system --chroot).
optimize_performance() { __isoswarm_step optimize_performance __isoswarm_performance "$@"; }
__isoswarm_performance() {
  local out a prev="" tree="" named=""
  # The tree named by --target is the one the script builds: it is locked first.
  for a in "$@"; do
    [ "$prev" = "--target" ] && { tree="$a"; named=1; }
    case "$a" in --target=*) tree="\${a#--target=}"; named=1 ;; esac
    prev="$a"
  done
  if [ -n "$tree" ]; then __isoswarm_lock "$tree" || return $?
  elif [ -n "$named" ]; then echo "isoswarm: optimize_performance --target is empty: no tree is locked" >&2; fi
  # A PARALLEL_JOBS the script set (even unexported) reaches tune, which keeps it as the user's.
  out="$(PARALLEL_JOBS="\${PARALLEL_JOBS-}" isoswarm tune --export "$@")" || return $?
  eval "$out"
}

# Watch resources for SECONDS (default 300) and return: optimize_monitor SECONDS
optimize_monitor() { __isoswarm_step optimize_monitor isoswarm monitor --duration "\${1:-300}"; }

# Start a build stage (ends the previous one): phase NAME. Under \`isoswarm run\` the stages, with
# their duration, CPU and I/O, make the run's stage timeline in the report.
phase() {
  [ "$#" -eq 1 ] || { echo "usage: phase NAME" >&2; return 2; }
  ISOSWARM_PHASE_AT="\${EPOCHREALTIME:-}" isoswarm hooks notification --phase "$1" --level info >/dev/null
}

# Write the report and print its path: this script's run (closed first, which lets go of its trees'
# locks; a later init_optimization_system opens a new run), or the run named: generate_build_report [RUN]
# A run this shell did not open (an outer script's) is left open: its shell closes it.
generate_build_report() {
  local run="\${ISOSWARM_SHELL_RUN:-}"
  if [ -z "\${1:-}" ] && [ -n "$run" ] && [ "$run" = "\${__ISOSWARM_OWN_RUN:-}" ]; then
    isoswarm shell-run close "$run" || return $?
    unset ISOSWARM_SHELL_RUN ISOSWARM_RUN_ID __ISOSWARM_OWN_RUN
    isoswarm report "$run" --format html
  else
    isoswarm report "\${1:-latest}" --format html
  fi
}
`;
}

export function registerShellInit(program: Command): void {
  program
    .command('shell-init [shell]')
    .description(
      "print bash functions with the request's names (init_optimization_system, optimize_cleanup, optimize_unmount, optimize_performance, optimize_monitor, generate_build_report, phase); use: source <(isoswarm shell-init)",
    )
    .action((shell: string | undefined) => {
      if (shell !== undefined && shell !== 'bash')
        throw new CliError(`unsupported shell "${shell}": only bash is supported`, EXIT.usage);
      const shimDir = join(packageRoot, 'shims');
      process.stdout.write(
        shellInit(
          process.execPath,
          process.argv[1] ?? 'isoswarm',
          existsSync(join(shimDir, 'mksquashfs')) ? shimDir : undefined,
        ),
      );
    });
}
