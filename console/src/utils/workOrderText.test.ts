import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/client'
import { discountRefusal, linesEditable, orderEditable, platePrinted, STATUS_ACTIONS } from './workOrderText'

describe('discountRefusal', () => {
  it('names the limit the owner set and what was asked when a discount needs the owner', () => {
    const error = new ApiError('discount_needs_owner_approval', 403, 'above your limit', { max_percent: 10, max_fen: 5000, discount_fen: 8000, base_fen: 40000 })
    const text = discountRefusal(error)
    expect(text).toContain('需店长审批')
    expect(text).toContain('10%')
    expect(text).toContain('¥50.00')
    expect(text).toContain('¥80.00')
  })

  it('keeps the catalogue message for other refusals', () => {
    const error = new ApiError('insufficient_balance', 409, 'short')
    expect(discountRefusal(error)).toBe('储值余额不足')
  })
})

describe('what each status allows', () => {
  it('edits lines until the work is completed and prices until the order is paid', () => {
    expect([linesEditable('open'), linesEditable('in_progress'), linesEditable('completed')]).toEqual([true, true, false])
    expect([orderEditable('completed'), orderEditable('settled'), orderEditable('cancelled')]).toEqual([true, false, false])
  })

  it('offers the hand status changes the service allows', () => {
    expect(STATUS_ACTIONS.open?.map((a) => a.to)).toEqual(['in_progress', 'completed', 'cancelled'])
    expect(STATUS_ACTIONS.settled).toBeUndefined()
  })
})

describe('platePrinted', () => {
  it('puts the dot after the province and the letter', () => {
    expect(platePrinted('粤B12345')).toBe('粤B·12345')
    expect(platePrinted('粤BD12345')).toBe('粤B·D12345')
    expect(platePrinted('粤B·12345')).toBe('粤B·12345')
  })
})
