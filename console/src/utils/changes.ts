// What an edit form sends: only the fields that differ from the record as loaded, so a PATCH never
// touches what the user left alone (a coupon template's value fields are frozen once coupons were
// issued; a top-up plan's price never changes — sending them unchanged must not trip those rules).

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
}

/** The entries of `edited` whose value differs from `original` (null and absent count as the same). */
export function changedFields<T extends object>(original: Partial<T>, edited: T): Partial<T> {
  const changes: Partial<T> = {}
  for (const key of Object.keys(edited) as (keyof T)[]) {
    if (!same(original[key], edited[key])) changes[key] = edited[key]
  }
  return changes
}
