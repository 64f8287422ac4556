/** Sizes for people: one way to print them, for the CLI's tables and the server's messages alike. */

/** `512 B`, `1.50 KiB`, `32.0 MiB`: binary units, three significant digits or so. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}
