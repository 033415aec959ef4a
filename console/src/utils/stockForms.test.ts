import { describe, expect, it } from 'vitest'
import { receiptBody, searchParts, stocktakeBody, type ReceiptRow } from './stockForms'
import { parseCount } from './count'

const oil = { id: 3, name: '机油 5W-30', sku: 'OIL-530' }
const filter = { id: 7, name: '机滤', sku: 'FLT-01' }

describe('parseCount', () => {
  it('takes whole numbers, full-width digits and spaces', () => {
    expect(parseCount('12')).toBe(12)
    expect(parseCount(' １２ ')).toBe(12)
    expect(parseCount('0')).toBe(0)
  })
  it('refuses fractions, signs and text', () => {
    for (const text of ['1.5', '-2', '', 'abc', '1e3']) expect(parseCount(text)).toBeNull()
  })
})

describe('receiptBody', () => {
  it('builds the body in fen, leaving blank rows out', () => {
    const rows: ReceiptRow[] = [
      { part: oil, quantity: '12', unitCost: '45.5' },
      { part: null, quantity: '', unitCost: '' },
      { part: filter, quantity: '３', unitCost: '18' },
    ]
    expect(receiptBody(' 粤海汽配 ', '', rows)).toEqual({
      ok: true,
      body: {
        supplier: '粤海汽配',
        lines: [
          { part_id: 3, quantity: 12, unit_cost_fen: 4550 },
          { part_id: 7, quantity: 3, unit_cost_fen: 1800 },
        ],
      },
    })
  })
  it('keeps a note when one is given', () => {
    const result = receiptBody('A', ' 月初补货 ', [{ part: oil, quantity: '1', unitCost: '0' }])
    expect(result.ok && result.body.note).toBe('月初补货')
  })
  it('says what to fix, row by row', () => {
    const result = receiptBody('', '', [
      { part: null, quantity: '2', unitCost: '1' },
      { part: oil, quantity: '0', unitCost: '1.234' },
    ])
    expect(result).toEqual({
      ok: false,
      errors: ['请填写供应商', '第 1 行：请选择配件', '第 2 行：数量须为不小于 1 的整数', '第 2 行：进货单价请填写金额（元，最多两位小数）'],
    })
  })
  it('refuses an empty receipt and a part named twice', () => {
    expect(receiptBody('A', '', [{ part: null, quantity: '', unitCost: '' }])).toEqual({ ok: false, errors: ['请至少填写一行配件'] })
    const twice = receiptBody('A', '', [
      { part: oil, quantity: '1', unitCost: '1' },
      { part: oil, quantity: '2', unitCost: '1' },
    ])
    expect(twice).toEqual({ ok: false, errors: ['配件「机油 5W-30」出现了多次，请合并为一行'] })
  })
})

describe('stocktakeBody', () => {
  it('takes counts of zero and up with the reason', () => {
    expect(stocktakeBody('月底盘点', [{ part: oil, counted: '0' }, { part: filter, counted: '9' }])).toEqual({
      ok: true,
      body: { reason: '月底盘点', lines: [{ part_id: 3, counted: 0 }, { part_id: 7, counted: 9 }] },
    })
  })
  it('needs a reason and whole counts', () => {
    expect(stocktakeBody(' ', [{ part: oil, counted: '-1' }])).toEqual({
      ok: false,
      errors: ['请填写盘点原因', '第 1 行：实盘数量须为不小于 0 的整数'],
    })
  })
})

describe('searchParts', () => {
  const parts = [oil, filter, { id: 9, name: '刹车片（前）', sku: 'BRK-F' }]
  it('matches name or SKU, case and width folded, every word', () => {
    expect(searchParts(parts, 'oil')).toEqual([oil])
    expect(searchParts(parts, 'ＯＩＬ')).toEqual([oil])
    expect(searchParts(parts, '刹车 brk')).toEqual([parts[2]])
    expect(searchParts(parts, '机')).toEqual([oil, filter])
  })
  it('finds nothing for an empty query and stops at the limit', () => {
    expect(searchParts(parts, '  ')).toEqual([])
    expect(searchParts(parts, '-', 2)).toHaveLength(2)
  })
})
