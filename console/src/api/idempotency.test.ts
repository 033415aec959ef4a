import { describe, expect, it } from 'vitest'
import { IdempotentAction } from './idempotency'

describe('IdempotentAction', () => {
  it('keeps one key until the service answered', () => {
    const action = new IdempotentAction()
    const first = action.currentKey
    expect(action.currentKey).toBe(first)
    action.done()
    expect(action.currentKey).not.toBe(first)
  })

  it('sends a pending key again only for the same subject', () => {
    const action = new IdempotentAction()
    const forCar = action.keyFor('1:粤B12345')
    expect(action.keyFor('1:粤B12345')).toBe(forCar)
    const other = action.keyFor('1:京A99999')
    expect(other).not.toBe(forCar)
    expect(action.keyFor('1:粤B12345')).not.toBe(forCar)
  })
})
