import { describe, expect, it } from 'vitest'
import { shiftCloseBody } from './shiftClose'

describe('shiftCloseBody', () => {
  it('sends the counted cash and the float in fen', () => {
    expect(shiftCloseBody('1234.5', '200', '')).toEqual({ ok: true, body: { counted_cash_fen: 123450, opening_float_fen: 20000, note: null } })
  })
  it('a blank float is none, a note is kept', () => {
    expect(shiftCloseBody('0', ' ', ' 有一张假币 ')).toEqual({ ok: true, body: { counted_cash_fen: 0, opening_float_fen: 0, note: '有一张假币' } })
  })
  it('refuses what is not an amount', () => {
    expect(shiftCloseBody('', '', '')).toEqual({ ok: false, error: '请输入实点现金（元，最多两位小数）' })
    expect(shiftCloseBody('12', '-5', '')).toEqual({ ok: false, error: '备用金请填写金额（元，最多两位小数）' })
  })
})
