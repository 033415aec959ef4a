import { describe, expect, it } from 'vitest'
import { csvUrl, fileNameFrom } from './csvDownload'

describe('csv downloads', () => {
  it('asks for the same figures as the screen, as CSV', () => {
    expect(csvUrl('/api/v1/stats/overview', { from: '2026-03-01', to: '2026-03-31', store_id: null })).toBe(
      '/api/v1/stats/overview?from=2026-03-01&to=2026-03-31&format=csv',
    )
    expect(csvUrl('/api/v1/stats/top-members', { store_id: 2, limit: 10 })).toBe('/api/v1/stats/top-members?store_id=2&limit=10&format=csv')
  })

  it("takes the service's file name when it gives one", () => {
    expect(fileNameFrom('attachment; filename="overview.csv"', 'x.csv')).toBe('overview.csv')
    expect(fileNameFrom("attachment; filename*=UTF-8''%E6%A6%82%E8%A7%88.csv", 'x.csv')).toBe('概览.csv')
    expect(fileNameFrom(null, 'x.csv')).toBe('x.csv')
  })
})
