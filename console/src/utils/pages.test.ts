import { describe, expect, it, vi } from 'vitest'
import { fetchAllPages } from './pages'

describe('fetchAllPages', () => {
  it('asks page after page until it has the total', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => i)
    const fetchPage = vi.fn(async (page: number) => ({ items: rows.slice((page - 1) * 100, page * 100), total: rows.length }))
    expect(await fetchAllPages(fetchPage)).toEqual(rows)
    expect(fetchPage).toHaveBeenCalledTimes(3)
  })

  it('stops at an empty page and at the bound', async () => {
    expect(await fetchAllPages(async () => ({ items: [], total: 5 }))).toEqual([])
    const endless = vi.fn(async () => ({ items: [1], total: 1000 }))
    expect(await fetchAllPages(endless, 3)).toEqual([1, 1, 1])
  })
})
