// Reads what is new at the end of a growing log file, in whole lines and in bounded amounts: the
// first read takes only the last few KB, a later read only the bytes added since (at most a chunk;
// a build that wrote more in between is skipped ahead), and a last line without its newline waits
// for it. Reads are asynchronous, so a slow disk never holds the dashboard's event loop.
import { open } from 'node:fs/promises';

export interface TailLimits {
  /** How much of the file's end the first read shows. */
  firstBytes: number;
  /** The most one read takes; a file that grew more than this is skipped ahead. */
  maxBytes: number;
  /** A line longer than this is cut, so an endless line cannot grow the held-back part without end. */
  maxLine: number;
}

export const DEFAULT_TAIL_LIMITS: TailLimits = { firstBytes: 4096, maxBytes: 16_384, maxLine: 2048 };

export class LogTailReader {
  /** Where the next read starts; -1 until the first read. */
  private pos = -1;
  /** The last line's bytes so far, without its newline yet. */
  private partial: Buffer = Buffer.alloc(0);

  constructor(
    readonly file: string,
    private readonly limits: TailLimits = DEFAULT_TAIL_LIMITS,
  ) {}

  /** The whole lines added since the last call; none when the file is missing or unchanged. */
  async read(): Promise<string[]> {
    let fh;
    try {
      fh = await open(this.file, 'r');
    } catch {
      return [];
    }
    try {
      const size = (await fh.stat()).size;
      if (size < this.pos) this.reset(0); // truncated or replaced: start over from its beginning
      let start = this.pos < 0 ? Math.max(0, size - this.limits.firstBytes) : this.pos;
      let skipped = this.pos < 0 ? start > 0 : false;
      if (size - start > this.limits.maxBytes) {
        start = size - this.limits.maxBytes;
        skipped = true;
      }
      if (skipped) {
        this.partial = Buffer.alloc(0);
        start -= 1; // the byte before: a newline there means the first line is whole
      }
      const len = size - start;
      if (len <= 0) {
        this.pos = size;
        return [];
      }
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await fh.read(buf, 0, len, start);
      this.pos = start + bytesRead;
      let data = Buffer.concat([this.partial, buf.subarray(0, bytesRead)]);
      if (skipped) {
        // Started mid-file: up to the first newline is the end of a line seen only in part, left out.
        const nl = data.indexOf(0x0a);
        data = nl < 0 ? Buffer.alloc(0) : data.subarray(nl + 1);
      }
      return this.split(data);
    } finally {
      await fh.close();
    }
  }

  private reset(pos: number): void {
    this.pos = pos;
    this.partial = Buffer.alloc(0);
  }

  private split(data: Buffer): string[] {
    const lines: string[] = [];
    let from = 0;
    for (let nl = data.indexOf(0x0a); nl >= 0; nl = data.indexOf(0x0a, from)) {
      lines.push(this.text(data.subarray(from, nl)));
      from = nl + 1;
    }
    const rest = data.subarray(from);
    if (rest.length > this.limits.maxLine) {
      lines.push(this.text(rest));
      this.partial = Buffer.alloc(0);
    } else this.partial = Buffer.from(rest);
    return lines;
  }

  private text(b: Buffer): string {
    const s = b.toString('utf8').replace(/\r$/, '');
    return s.length > this.limits.maxLine ? `${s.slice(0, this.limits.maxLine)}…` : s;
  }
}
