// The catalog search of the work order: what the cashier types ("洗车", "机油", a part's SKU) against
// the names of service items and parts. Matching only; every price stays the server's.
import type { Schemas } from '@/api/client'

export type CatalogHit =
  | { kind: 'service_item'; id: number; name: string; detail: string; priceFen: number }
  | { kind: 'part'; id: number; name: string; detail: string; priceFen: number }

export const CATEGORY_LABELS: Record<string, string> = {
  wash: '洗车',
  maintenance: '保养',
  repair: '维修',
  beauty: '美容',
  other: '其他',
  part: '配件',
}

/** Lower case, full-width letters and digits folded, spaces dropped: how a name is compared. */
export function normaliseQuery(text: string): string {
  return text
    .replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\s+/g, '')
    .toLowerCase()
}

export function catalogHits(items: Schemas['ServiceItemRead'][], parts: Schemas['PartRead'][]): CatalogHit[] {
  return [
    ...items
      .filter((item) => item.is_active !== false)
      .map((item): CatalogHit => ({ kind: 'service_item', id: item.id, name: item.name, detail: CATEGORY_LABELS[item.category] ?? item.category, priceFen: item.price_fen })),
    ...parts
      .filter((part) => part.is_active !== false)
      .map((part): CatalogHit => ({ kind: 'part', id: part.id, name: part.name, detail: `配件 · ${part.sku}`, priceFen: part.price_fen })),
  ]
}

/**
 * The hits whose name (or a part's SKU) contains the query: names that start with it first, then
 * service items before parts, otherwise in catalog order. At most `limit`.
 */
export function searchCatalog(hits: CatalogHit[], query: string, limit = 8): CatalogHit[] {
  const q = normaliseQuery(query)
  if (!q) return []
  const scored: { hit: CatalogHit; rank: number; index: number }[] = []
  hits.forEach((hit, index) => {
    const name = normaliseQuery(hit.name)
    const inName = name.includes(q)
    const inDetail = hit.kind === 'part' && normaliseQuery(hit.detail).includes(q)
    if (!inName && !inDetail) return
    const rank = (name.startsWith(q) ? 0 : 2) + (hit.kind === 'service_item' ? 0 : 1)
    scored.push({ hit, rank, index })
  })
  scored.sort((a, b) => a.rank - b.rank || a.index - b.index)
  return scored.slice(0, limit).map((s) => s.hit)
}

/** The highlighted row after ↑/↓: wraps around; no rows → -1. */
export function moveHighlight(current: number, delta: 1 | -1, count: number): number {
  if (count === 0) return -1
  if (current < 0) return delta === 1 ? 0 : count - 1
  return (current + delta + count) % count
}
