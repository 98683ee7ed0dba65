// A small PNG decoder for screenshots: 8-bit greyscale, RGB, grey+alpha and RGBA, non-interlaced,
// with all five scanline filters. Enough to inspect what headless Chromium drew, with node's zlib only.
import { inflateSync } from 'node:zlib';

export interface Image {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel, row-major. */
  data: Uint8Array;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 4: 2, 6: 4 };

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export function decodePng(buf: Buffer): Image {
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG file');
  let off = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const body = buf.subarray(off + 8, off + 8 + len);
    off += 12 + len; // length, type, body, CRC
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, colour, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
      if (depth !== 8) throw new Error(`unsupported PNG bit depth ${depth}`);
      if (interlace !== 0) throw new Error('interlaced PNG is not supported');
      channels = CHANNELS[colour!] ?? 0;
      if (!channels) throw new Error(`unsupported PNG colour type ${colour}`);
    } else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') break;
  }
  if (!width || !height) throw new Error('PNG without IHDR');
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw new Error('PNG image data is truncated');
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const prev = row - stride;
    for (let x = 0; x < stride; x++) {
      const v = raw[src + x]!;
      const a = x >= channels ? px[row + x - channels]! : 0;
      const b = y > 0 ? px[prev + x]! : 0;
      const c = x >= channels && y > 0 ? px[prev + x - channels]! : 0;
      let out: number;
      switch (filter) {
        case 0:
          out = v;
          break;
        case 1:
          out = v + a;
          break;
        case 2:
          out = v + b;
          break;
        case 3:
          out = v + ((a + b) >> 1);
          break;
        case 4:
          out = v + paeth(a, b, c);
          break;
        default:
          throw new Error(`bad PNG filter ${filter} in row ${y}`);
      }
      px[row + x] = out & 0xff;
    }
  }
  const data = new Uint8Array(width * height * 4);
  for (let i = 0, j = 0; i < width * height; i++, j += channels) {
    const g = channels <= 2;
    data[i * 4] = px[j]!;
    data[i * 4 + 1] = g ? px[j]! : px[j + 1]!;
    data[i * 4 + 2] = g ? px[j]! : px[j + 2]!;
    data[i * 4 + 3] = channels === 2 ? px[j + 1]! : channels === 4 ? px[j + 3]! : 255;
  }
  return { width, height, data };
}

/** "#rrggbb" as [r, g, b]. */
export function hexRgb(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb colour: ${hex}`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

export interface ColourHits {
  count: number;
  /** Bounding box of the matching pixels (empty when count is 0). */
  minX: number;
  maxX: number;
  minY: number;
  maxY: number;
}

/** Pixels within `tolerance` (per channel) of `rgb`, and where they are. */
export function findColour(img: Image, rgb: [number, number, number], tolerance = 10): ColourHits {
  const hits: ColourHits = { count: 0, minX: Infinity, maxX: -Infinity, minY: Infinity, maxY: -Infinity };
  const { width, data } = img;
  for (let i = 0; i < data.length; i += 4) {
    if (
      Math.abs(data[i]! - rgb[0]) > tolerance ||
      Math.abs(data[i + 1]! - rgb[1]) > tolerance ||
      Math.abs(data[i + 2]! - rgb[2]) > tolerance
    )
      continue;
    const p = i / 4;
    const x = p % width;
    const y = (p - x) / width;
    hits.count++;
    if (x < hits.minX) hits.minX = x;
    if (x > hits.maxX) hits.maxX = x;
    if (y < hits.minY) hits.minY = y;
    if (y > hits.maxY) hits.maxY = y;
  }
  return hits;
}

/** Number of distinct RGB colours (alpha ignored). */
export function distinctColours(img: Image): number {
  const seen = new Set<number>();
  const { data } = img;
  for (let i = 0; i < data.length; i += 4) seen.add((data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!);
  return seen.size;
}
