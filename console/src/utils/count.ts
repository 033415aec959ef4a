// Whole counts typed at the counter ("12", "１２", " 3 "): an integer or null. Bounds are the
// service's to check; this only refuses what is not a whole number.
export function parseCount(text: string): number | null {
  const normalised = text.replace(/[\uff10-\uff19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).trim()
  if (!/^\d{1,9}$/.test(normalised)) return null
  return Number(normalised)
}

/** A count as staff read it (12,345), or — when the service gave none. */
export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? '—' : value.toLocaleString('zh-CN')
}
