/**
 * Document sizes as admins write them: bytes, or a number with a unit. KB, MB and GB count in
 * 1024s, as Windows shows file sizes; KiB, MiB and GiB are accepted as the same.
 */
export const SIZE_PATTERN = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*$/i;

const UNITS: Record<string, number> = { B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 };

/** Bytes of a size: a number of bytes, or "512KB", "20 MB", "1.5GB". Throws on anything else. */
export function bytes(size: number | string): number {
  if (typeof size === 'number') return size;
  const match = SIZE_PATTERN.exec(size);
  if (!match) throw new Error(`"${size}" is not a size like 512KB, 20MB or 1GB`);
  const unit = (match[2] ?? 'B').charAt(0).toUpperCase();
  return Math.round(Number(match[1]) * UNITS[unit]!);
}
