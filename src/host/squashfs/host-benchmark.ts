// A few seconds of real measurements that let hosts of a farm be compared: CPU (SHA-256 throughput,
// one thread), memory bandwidth (Buffer copy), disk write (with fsync) and read (O_DIRECT when the
// file system allows it, otherwise marked as a cached read), and compressor throughput on the same
// deterministic text-like data everywhere.
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createScratch, removeJournalledScratch } from '../delete/scratch-journal.js';
import { run, which } from '../exec.js';

export interface HostBenchmark {
  cpuSha256MBps: number;
  memCopyMBps: number;
  diskWriteMBps: number;
  diskReadMBps: number | null;
  /** True when O_DIRECT was refused and the read came from the page cache. */
  diskReadCached: boolean;
  compressMBps: { gzip6: number; zstd3: number | null; xz6: number | null };
  durationMs: number;
  at: string;
}

export interface BenchmarkOptions {
  scratchParent?: string;
  /** Scales every measurement's size (tests use less); default 1. */
  scale?: number;
}

const MB = 1e6;

/** Repeats `fn` (which processes `bytes` per call) for at least `minMs`; returns MB/s. */
function throughput(bytes: number, minMs: number, fn: () => void): number {
  const t0 = performance.now();
  let n = 0;
  do {
    fn();
    n++;
  } while (performance.now() - t0 < minMs);
  return Math.round((bytes * n) / MB / ((performance.now() - t0) / 1000));
}

/** Deterministic text-like data: words from a fixed pseudo-random vocabulary. */
export function benchmarkText(size: number): Buffer {
  let x = 2463534242;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
  const words = Array.from({ length: 2048 }, () =>
    Array.from({ length: 2 + Math.floor(next() * 8) }, () => String.fromCharCode(97 + Math.floor(next() * 26))).join(
      '',
    ),
  );
  const parts: string[] = [];
  let len = 0;
  while (len < size) {
    const w = words[Math.floor(words.length * next() ** 3)] as string;
    parts.push(w);
    len += w.length + 1;
  }
  return Buffer.from(parts.join(' ')).subarray(0, size);
}

async function toolMBps(cmd: string, args: string[], file: string, bytes: number): Promise<number | null> {
  if (!(await which(cmd))) return null;
  const r = await run(cmd, [...args, file], { stdout: 'ignore' });
  return r.exitCode === 0 ? Math.round(bytes / MB / (r.durationMs / 1000)) : null;
}

export async function hostBenchmark(opts: BenchmarkOptions = {}): Promise<HostBenchmark> {
  const started = performance.now();
  const scale = opts.scale ?? 1;
  const dir = createScratch(opts.scratchParent ?? tmpdir(), 'isoswarm-bench-');
  try {
    const hashBuf = Buffer.alloc(Math.round(16 * MB * scale), 7);
    const cpuSha256MBps = throughput(
      hashBuf.length,
      400 * scale,
      () => void createHash('sha256').update(hashBuf).digest(),
    );
    const src = Buffer.alloc(Math.round(64 * MB * scale), 1);
    const dst = Buffer.allocUnsafe(src.length);
    const memCopyMBps = throughput(src.length, 300 * scale, () => void src.copy(dst));

    // Disk: random data (no file system can compress it away), flushed with fsync before the clock stops.
    const file = join(dir, 'disk.bin');
    const chunk = randomFillSync(Buffer.allocUnsafe(4 << 20));
    const chunks = Math.max(1, Math.round(16 * scale));
    const t0 = performance.now();
    const fd = openSync(file, 'w');
    try {
      for (let i = 0; i < chunks; i++) writeSync(fd, chunk);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    const diskBytes = chunks * chunk.length;
    const diskWriteMBps = Math.round(diskBytes / MB / ((performance.now() - t0) / 1000));
    let diskReadCached = false;
    let read = await run('dd', [`if=${file}`, 'of=/dev/null', 'bs=1M', 'iflag=direct']);
    if (read.exitCode !== 0) {
      diskReadCached = true;
      read = await run('dd', [`if=${file}`, 'of=/dev/null', 'bs=1M']);
    }
    const diskReadMBps = read.exitCode === 0 ? Math.round(diskBytes / MB / (read.durationMs / 1000)) : null;

    const text = benchmarkText(Math.round(8 * MB * scale));
    const gzip6 = throughput(text.length, 1, () => void gzipSync(text, { level: 6 }));
    const textFile = join(dir, 'text.bin');
    writeFileSync(textFile, text);
    const zstd3 = await toolMBps('zstd', ['-3', '-T1', '-q', '-c'], textFile, text.length);
    // xz -6 runs at a few MB/s: an eighth of the data keeps it well under a second.
    const xzFile = join(dir, 'text-xz.bin');
    const xzText = text.subarray(0, Math.round(text.length / 8));
    writeFileSync(xzFile, xzText);
    const xz6 = await toolMBps('xz', ['-6', '-T1', '-c'], xzFile, xzText.length);
    return {
      cpuSha256MBps,
      memCopyMBps,
      diskWriteMBps,
      diskReadMBps,
      diskReadCached,
      compressMBps: { gzip6, zstd3, xz6 },
      durationMs: Math.round(performance.now() - started),
      at: new Date().toISOString(),
    };
  } finally {
    await removeJournalledScratch(dir);
  }
}
