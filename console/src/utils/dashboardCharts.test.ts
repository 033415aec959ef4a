import { describe, expect, it } from 'vitest'
import { asJson, barOption, dailyLineOption, labelledRows, ringOption } from './dashboardCharts'
import { TENDER_LABELS } from './statsLabels'

describe('dashboard charts', () => {
  it('labels a figure in the given order and keeps codes it does not know', () => {
    const rows = labelledRows({ wechat: 300, cash: 100, barter: 5 }, TENDER_LABELS, ['cash', 'wechat'])
    expect(rows).toEqual([
      { code: 'cash', label: '现金', value: 100 },
      { code: 'wechat', label: '微信支付', value: 300 },
      { code: 'barter', label: 'barter', value: 5 },
    ])
  })

  it('draws the API values unchanged', () => {
    const line = dailyLineOption([{ name: '营业额', points: [{ date: '2026-03-01', value: 12345 }, { date: '2026-03-02', value: 0 }] }], true)
    expect(line.xAxis.data).toEqual(['03-01', '03-02'])
    expect(line.series[0]?.data).toEqual([12345, 0])
    expect(line.series[0]?.smooth).toBe(false) // a day's figure is not spread over the days around it
    expect(line.tooltip.valueFormatter(12345)).toBe('¥123.45')

    const ring = ringOption([{ label: '现金', value: 100 }, { label: '积分', value: 0 }], true)
    expect(ring.series[0]?.data).toEqual([{ name: '现金', value: 100 }])

    const bars = barOption([{ label: '价格偏高', value: 2 }], false)
    expect(bars.yAxis.data).toEqual(['价格偏高'])
    expect(bars.series[0]?.data).toEqual([2])
    expect(bars.tooltip.valueFormatter(2)).toBe('2')
  })

  it('refuses a text answer where figures were asked for', () => {
    expect(asJson({ total: 1 })).toEqual({ total: 1 })
    expect(() => asJson('a,b\n1,2' as string | { total: number })).toThrow()
  })
})
