// Paths compared component by component (never by string prefix: `/a/bc` is not under `/a/b`).

/**
 * Splits an absolute path into components; null for anything that is not absolute or that has
 * `.`/`..` components (those cannot be compared lexically without resolving symlinks).
 */
export function pathComponents(p: string): string[] | null {
  if (typeof p !== 'string' || !p.startsWith('/') || p.includes('\0')) return null;
  const parts = p.split('/').filter((c) => c !== '');
  if (parts.some((c) => c === '.' || c === '..')) return null;
  return parts;
}

/** True when `path` is `root` or lies below it, compared component by component. */
export function isAtOrUnder(path: string, root: string): boolean {
  const a = pathComponents(path);
  const b = pathComponents(root);
  if (!a || !b || a.length < b.length) return false;
  return b.every((c, i) => a[i] === c);
}
