import { describe, expect, it } from 'vitest'
import { CHURN_REASONS, churnReasonAllowed, churnReasonRequired, dayText, plateText, RESULTS } from './careLabels'

describe('care labels', () => {
  it('offers every result and churn reason the service knows, in a stable order', () => {
    expect(RESULTS).toEqual(['reached', 'booked', 'no_answer', 'wrong_number', 'lost'])
    expect(CHURN_REASONS).toEqual(['poor_service', 'repair_quality', 'price', 'distance', 'insurer', 'other'])
  })

  it('asks for a churn reason only after a conversation, and requires it for a lost customer', () => {
    expect(churnReasonAllowed('reached')).toBe(true)
    expect(churnReasonAllowed('lost')).toBe(true)
    expect(churnReasonAllowed('no_answer')).toBe(false)
    expect(churnReasonAllowed('wrong_number')).toBe(false)
    expect(churnReasonAllowed(null)).toBe(false)
    expect(churnReasonRequired('lost')).toBe(true)
    expect(churnReasonRequired('reached')).toBe(false)
  })

  it('shows plates with the dot and dates as calendar days', () => {
    expect(plateText('粤B12345')).toBe('粤B·12345')
    expect(plateText('粤BD12345')).toBe('粤B·D12345')
    expect(plateText(null)).toBe('—')
    expect(dayText('2026-03-10')).toBe('2026-03-10')
    expect(dayText(null)).toBe('—')
  })
})
