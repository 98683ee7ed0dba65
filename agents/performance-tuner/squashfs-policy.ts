// Pure: what a mksquashfs call runs with, given what the build script asked for and the tuned
// choice, under the run's policy for options the script passes itself:
//   respect  — nothing changes (the report says what the tuned choice would have saved);
//   fill     — only what is absent is added: -processors, -mem, and -b when no -comp is given;
//   override — the script's compression options are replaced by the mode's choice.
import { mksquashfsArgs, type SquashChoice } from '../../src/host/squashfs/mksquashfs.js';

export type SquashPolicy = 'respect' | 'fill' | 'override';
export const SQUASH_POLICIES: readonly SquashPolicy[] = ['respect', 'fill', 'override'];

/** Options that take one value (the ones this policy reads or replaces). */
const WITH_VALUE = new Set([
  '-comp',
  '-b',
  '-Xcompression-level',
  '-processors',
  '-mem',
  '-Xbcj',
  '-Xdict-size',
  '-Xwindow-size',
  '-Xstrategy',
  '-Xalgorithm',
]);
/** Compression options an override removes (the tuned choice brings its own). */
const COMPRESSION = new Set([
  '-comp',
  '-b',
  '-Xcompression-level',
  '-Xbcj',
  '-Xdict-size',
  '-Xwindow-size',
  '-Xstrategy',
  '-Xalgorithm',
  '-Xhc',
  '-processors',
]);

export interface ParsedCall {
  sources: string[];
  dest: string | null;
  options: string[];
}

/** mksquashfs SOURCE... DEST [OPTIONS]: positional arguments come first. */
export function parseCall(args: readonly string[]): ParsedCall {
  const firstOpt = args.findIndex((a) => a.startsWith('-'));
  const pos = firstOpt < 0 ? [...args] : args.slice(0, firstOpt);
  return {
    sources: pos.slice(0, -1),
    dest: pos.length >= 2 ? (pos[pos.length - 1] as string) : null,
    options: firstOpt < 0 ? [] : args.slice(firstOpt),
  };
}

function optionValue(options: readonly string[], name: string): string | undefined {
  const i = options.lastIndexOf(name);
  return i >= 0 ? options[i + 1] : undefined;
}

/** The compression the call asks for, as a choice (mksquashfs's defaults where it names none). */
export function askedChoice(options: readonly string[], processors: number): SquashChoice {
  const comp = (optionValue(options, '-comp') ?? 'gzip') as SquashChoice['comp'];
  const level = optionValue(options, '-Xcompression-level');
  const b = optionValue(options, '-b');
  const bytes = b === undefined ? undefined : /^(\d+)([KM]?)$/i.exec(b);
  const blockSize = bytes
    ? Number(bytes[1]) * (bytes[2]?.toUpperCase() === 'M' ? 1 << 20 : bytes[2] ? 1 << 10 : 1)
    : undefined;
  const bcj = optionValue(options, '-Xbcj');
  const p = Number(optionValue(options, '-processors') ?? processors);
  return {
    comp,
    processors: p,
    ...(level !== undefined ? { level: Number(level) } : {}),
    ...(blockSize !== undefined && blockSize !== 128 << 10 ? { blockSize } : {}),
    ...(bcj === 'x86' && comp === 'xz' ? { bcj: 'x86' as const } : {}),
  };
}

export interface Applied {
  args: string[];
  changed: string[];
}

export function applyPolicy(
  args: readonly string[],
  tuned: SquashChoice,
  policy: SquashPolicy,
  memBytes: number,
): Applied {
  const call = parseCall(args);
  const head = [...call.sources, ...(call.dest ? [call.dest] : [])];
  if (policy === 'respect' || call.dest === null) return { args: [...args], changed: [] };
  if (policy === 'override') {
    const kept: string[] = [];
    const removed: string[] = [];
    for (let i = 0; i < call.options.length; i++) {
      const o = call.options[i] as string;
      if (COMPRESSION.has(o)) {
        removed.push(WITH_VALUE.has(o) ? `${o} ${call.options[i + 1] ?? ''}`.trim() : o);
        if (WITH_VALUE.has(o)) i++;
      } else kept.push(o);
    }
    const add = mksquashfsArgs(tuned);
    return {
      args: [...head, ...kept, ...add],
      changed: [...removed.map((r) => `removed ${r}`), `added ${add.join(' ')}`],
    };
  }
  const add: string[] = [];
  if (!call.options.includes('-processors')) add.push('-processors', String(tuned.processors));
  if (!call.options.includes('-mem')) add.push('-mem', `${Math.max(64, Math.floor(memBytes / 4 / 2 ** 20))}M`);
  if (!call.options.includes('-comp') && !call.options.includes('-b') && tuned.blockSize !== undefined)
    add.push('-b', `${tuned.blockSize >> 10}K`);
  return { args: [...head, ...call.options, ...add], changed: add.length ? [`added ${add.join(' ')}`] : [] };
}
