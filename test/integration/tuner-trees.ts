// Generated trees for the tuner's tests and bench: real files on disk with the compressibility of
// the three kinds of data an image holds — text (docs, sources, scripts), binary-like (code and data
// with structure, partly random) and already-compressed (.gz payloads). Deterministic per seed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export type TreeKind = 'text' | 'binary' | 'compressed';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function textBytes(rnd: () => number, vocab: Buffer[], size: number): Buffer {
  const out = Buffer.allocUnsafe(size + 64);
  let n = 0;
  let col = 0;
  while (n < size) {
    // Zipf-like: a few words are very common, most are rare.
    const w = vocab[Math.floor(vocab.length * rnd() ** 3)] as Buffer;
    w.copy(out, n);
    n += w.length;
    col += w.length + 1;
    const r = rnd();
    out[n++] = col > 72 ? 10 : r < 0.05 ? 44 : r < 0.08 ? 46 : 32;
    if (col > 72) col = 0;
    if (r > 0.995) n += out.write(String(Math.floor(rnd() * 100000)), n);
  }
  return out.subarray(0, size);
}

function binaryBytes(rnd: () => number, size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let page = 0; page < size; page += 4096) {
    const end = Math.min(size, page + 4096);
    const mode = rnd();
    if (mode < 0.5) {
      for (let i = page; i < end; i += 4) out.writeUInt32LE((rnd() * 4294967296) >>> 0, i <= end - 4 ? i : end - 4);
    } else if (mode < 0.8) {
      // Code-like: a small per-page alphabet of opcodes, so entropy is ~4 bits per byte.
      const alphabet = Array.from({ length: 16 }, () => Math.floor(rnd() * 256));
      for (let i = page; i < end; i++) out[i] = alphabet[Math.floor(rnd() * 16)] as number;
    } else {
      out.fill(0, page, end);
      for (let i = page; i < end; i += 64) out[i] = Math.floor(rnd() * 256);
    }
  }
  return out;
}

const EXT: Record<TreeKind, string[]> = {
  text: ['txt', 'c', 'h', 'md', 'html', 'py'],
  binary: ['so', 'bin', 'o', ''],
  compressed: ['gz'],
};

/** Writes about `totalBytes` of `kind` files under `dir`; returns what was written. */
export function makeTree(dir: string, kind: TreeKind, totalBytes: number, seed = 1): { files: number; bytes: number } {
  const rnd = mulberry32(seed * 7919 + kind.length);
  const vocab = Array.from({ length: 6000 }, () =>
    Buffer.from(
      Array.from({ length: 2 + Math.floor(rnd() * 8) }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join(
        '',
      ),
    ),
  );
  let bytes = 0;
  let files = 0;
  while (bytes < totalBytes) {
    // Mostly small files (log-uniform 512 B .. 256 KiB), one in 40 large (1..4 MiB).
    const large = rnd() < 0.025;
    const want = large ? (1 << 20) * (1 + rnd() * 3) : Math.exp(Math.log(512) + rnd() * Math.log(512));
    const size = Math.max(1, Math.min(Math.round(want), totalBytes - bytes + 1));
    let data: Buffer;
    if (kind === 'text') data = textBytes(rnd, vocab, size);
    else if (kind === 'binary') data = binaryBytes(rnd, size);
    else data = gzipSync(binaryBytes(rnd, Math.round(size * 1.6)), { level: 6 });
    const exts = EXT[kind];
    const ext = exts[files % exts.length] as string;
    const sub = join(dir, `d${files % 13}`, `s${files % 5}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `f${files}${ext ? `.${ext}` : ''}`), data);
    bytes += data.length;
    files++;
  }
  return { files, bytes };
}
