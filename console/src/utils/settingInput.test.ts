import { describe, expect, it } from 'vitest'
import { draftOf, parseSetting } from './settingInput'

describe('setting input', () => {
  it('shows the service values as text the owner edits', () => {
    expect(draftOf('int', 5)).toBe('5')
    expect(draftOf('optionalInt', null)).toBe('')
    expect(draftOf('fen', 4990)).toBe('49.90')
    expect(draftOf('coupon', null)).toBeNull()
  })

  it('sends whole numbers as numbers and anything else as typed, for the service to judge', () => {
    expect(parseSetting('int', '３０')).toEqual({ value: 30 })
    expect(parseSetting('int', '2.5')).toEqual({ value: '2.5' })
    expect(parseSetting('int', '0')).toEqual({ value: 0 })
    expect(parseSetting('optionalInt', ' ')).toEqual({ value: null })
    expect(parseSetting('coupon', 7)).toEqual({ value: 7 })
  })

  it('reads a list of days, however it is separated', () => {
    expect(draftOf('intList', [30, 7])).toBe('30、7')
    expect(parseSetting('intList', '30、7')).toEqual({ value: [30, 7] })
    expect(parseSetting('intList', '３０, 7 ')).toEqual({ value: [30, 7] })
    expect(parseSetting('intList', '30，十')).toEqual({ value: '30，十' })
  })

  it('reads money in yuan as fen, and says so when it cannot', () => {
    expect(parseSetting('fen', '49.9')).toEqual({ value: 4990 })
    expect(parseSetting('fen', '四十')).toEqual({ error: '请输入金额（元），如 50 或 49.90' })
  })

  it('reads a time of day as minutes after midnight', () => {
    expect(draftOf('clock', 1260)).toBe('21:00')
    expect(draftOf('clock', 480)).toBe('08:00')
    expect(parseSetting('clock', '21:00')).toEqual({ value: 1260 })
    expect(parseSetting('clock', '8：05')).toEqual({ value: 485 })
    expect(parseSetting('clock', '24:00')).toEqual({ error: '请输入时间，如 21:00' })
    expect(parseSetting('clock', '晚上九点')).toEqual({ error: '请输入时间，如 21:00' })
  })
})
