import { describe, expect, it } from 'vitest'
import { hoursFromRows, hoursRows, hoursSummary } from './storeHours'

describe('store hours', () => {
  it('reads the service hours as one row per weekday and writes them back with closed days as null', () => {
    const rows = hoursRows({ mon: ['09:00', '18:00'], sat: ['10:00', '16:00'] })
    expect(rows.map((row) => row.open)).toEqual([true, false, false, false, false, true, false])
    rows[1] = { day: 'tue', open: true, opens: '08:30', closes: '17:00' }
    expect(hoursFromRows(rows)).toEqual({ mon: ['09:00', '18:00'], tue: ['08:30', '17:00'], wed: null, thu: null, fri: null, sat: ['10:00', '16:00'], sun: null })
  })

  it('runs consecutive days with the same hours together', () => {
    const week = { mon: ['09:00', '18:00'], tue: ['09:00', '18:00'], wed: ['09:00', '18:00'], thu: ['09:00', '18:00'], fri: ['09:00', '18:00'], sat: ['10:00', '16:00'] }
    expect(hoursSummary(week)).toBe('周一至周五 09:00–18:00；周六 10:00–16:00')
    expect(hoursSummary({})).toBe('未设营业时间')
    expect(hoursSummary({ mon: ['09:00', '18:00'], wed: ['09:00', '18:00'] })).toBe('周一 09:00–18:00；周三 09:00–18:00')
  })
})
