// Turning paths into memory key segments: keys never hold whitespace or control characters (a
// newline in a listed key could forge a line of output), so those are %-encoded, as is '%' itself.
export function pathKey(path: string): string {
  return path
    .replace(/^\/+/, '')
    .replace(/[\s\p{Cc}%]/gu, (c) => `%${c.codePointAt(0)!.toString(16).padStart(2, '0').toUpperCase()}`);
}
