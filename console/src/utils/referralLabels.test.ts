import { describe, expect, it } from 'vitest'
import { REFUSAL_REASON_LABELS, REFUSAL_REASONS, rewardTone } from './referralLabels'

describe('referral labels', () => {
  it('names every refusal reason the service gives', () => {
    expect(REFUSAL_REASONS).toEqual(['unknown_code', 'self_referral', 'already_referred', 'already_visited', 'circular', 'same_phone', 'monthly_cap'])
    expect(Object.values(REFUSAL_REASON_LABELS).every((label) => label.length > 0)).toBe(true)
  })

  it('colours rewards by what the shop owes', () => {
    expect(rewardTone('frozen')).toBe('warning')
    expect(rewardTone('released')).toBe('success')
    expect(rewardTone('reversed')).toBe('danger')
    expect(rewardTone('cancelled')).toBe('info')
    expect(rewardTone(null)).toBe('info')
  })
})
