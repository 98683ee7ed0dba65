// The per-host image-size factor from measured/predicted pairs: the median, kept to a narrow range
// (a size prediction off by more than a quarter says the pair came from an odd tree, not that the
// host compresses differently). Shared by the tuner's choice and `patterns explain`.
export const SIZE_FACTOR_CLAMP: readonly [number, number] = [0.8, 1.25];

export function medianSizeFactor(ratios: readonly number[]): number | null {
  if (ratios.length === 0) return null;
  const s = [...ratios].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  const med = s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
  const f = Math.min(SIZE_FACTOR_CLAMP[1], Math.max(SIZE_FACTOR_CLAMP[0], med));
  return Math.round(f * 1000) / 1000;
}
