import { describe, expect, it } from 'vitest'
import { parseYuan, yuan } from './money'

describe('yuan', () => {
  it('shows fen as yuan with two decimals', () => {
    expect(yuan(12345)).toBe('¥123.45')
    expect(yuan(5)).toBe('¥0.05')
    expect(yuan(0)).toBe('¥0.00')
    expect(yuan(-250)).toBe('-¥2.50')
    expect(yuan(123456789)).toBe('¥1,234,567.89')
  })
  it('shows a dash for no amount', () => {
    expect(yuan(null)).toBe('—')
    expect(yuan(undefined)).toBe('—')
  })
})

describe('parseYuan', () => {
  it('turns typed yuan into exact fen', () => {
    expect(parseYuan('12')).toBe(1200)
    expect(parseYuan('12.5')).toBe(1250)
    expect(parseYuan('12.50')).toBe(1250)
    expect(parseYuan('0.07')).toBe(7)
    // 0.1 + 0.2 style float errors cannot happen: digits are read, not multiplied.
    expect(parseYuan('19.99')).toBe(1999)
    expect(parseYuan('1.10')).toBe(110)
  })
  it('reads full-width digits and points as typed by a Chinese input method', () => {
    expect(parseYuan('１２．３')).toBe(1230)
    expect(parseYuan(' 8 ')).toBe(800)
  })
  it('refuses what is not an amount', () => {
    for (const text of ['', 'abc', '1.234', '-5', '1e3', '1,000', '.5', '12.3.4']) expect(parseYuan(text)).toBeNull()
  })
})
