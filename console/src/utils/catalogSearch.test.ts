import { describe, expect, it } from 'vitest'
import { catalogHits, moveHighlight, normaliseQuery, searchCatalog } from './catalogSearch'

const items = [
  { id: 1, name: '精致洗车', category: 'wash', price_fen: 5000, duration_minutes: 40, maintenance_interval_months: null, maintenance_interval_km: null, is_active: true },
  { id: 2, name: '小保养（机油+机滤）', category: 'maintenance', price_fen: 39800, duration_minutes: 60, maintenance_interval_months: 6, maintenance_interval_km: 5000, is_active: true },
  { id: 3, name: '洗车打蜡', category: 'beauty', price_fen: 12000, duration_minutes: 60, maintenance_interval_months: null, maintenance_interval_km: null, is_active: true },
  { id: 4, name: '旧洗车项目', category: 'wash', price_fen: 1000, duration_minutes: 30, maintenance_interval_months: null, maintenance_interval_km: null, is_active: false },
]
const parts = [
  { id: 9, name: '洗车液', sku: 'WASH-1', price_fen: 2000, stock: 5, low_stock_threshold: 1, low_stock: false, is_active: true },
  { id: 8, name: '机油 5W-30 4L', sku: 'OIL-530', price_fen: 30000, stock: 5, low_stock_threshold: 1, low_stock: false, is_active: true },
]
const hits = catalogHits(items, parts)

describe('searchCatalog', () => {
  it('finds service items and parts by name, names that start with the query first, items before parts', () => {
    expect(searchCatalog(hits, '洗车').map((h) => `${h.kind}:${h.id}`)).toEqual(['service_item:3', 'part:9', 'service_item:1'])
  })

  it('leaves inactive entries out and finds parts by SKU, whatever the case or width', () => {
    expect(searchCatalog(hits, 'ｏｉｌ').map((h) => h.id)).toEqual([8])
    expect(searchCatalog(hits, '旧洗车')).toEqual([])
  })

  it('answers nothing for an empty query and at most the limit', () => {
    expect(searchCatalog(hits, '  ')).toEqual([])
    expect(searchCatalog(hits, '洗', 2)).toHaveLength(2)
  })

  it('keeps the list price for display', () => {
    expect(searchCatalog(hits, '小保养')[0]).toMatchObject({ name: '小保养（机油+机滤）', priceFen: 39800, detail: '保养' })
  })
})

describe('normaliseQuery and moveHighlight', () => {
  it('folds width, case and spaces', () => {
    expect(normaliseQuery(' Ａb C ')).toBe('abc')
  })

  it('moves the highlight round the list', () => {
    expect(moveHighlight(0, 1, 3)).toBe(1)
    expect(moveHighlight(2, 1, 3)).toBe(0)
    expect(moveHighlight(0, -1, 3)).toBe(2)
    expect(moveHighlight(-1, -1, 3)).toBe(2)
    expect(moveHighlight(0, 1, 0)).toBe(-1)
  })
})
