import { describe, expect, it } from 'vitest'
import { changedFields } from './changes'

describe('changedFields', () => {
  it('keeps only what changed', () => {
    expect(changedFields({ name: 'a', bonus_fen: 100, pay_fen: 5000 }, { name: 'b', bonus_fen: 100, pay_fen: 5000 })).toEqual({ name: 'b' })
  })

  it('compares lists and objects by value', () => {
    const items = [{ service_item_id: 1, count: 5 }]
    expect(changedFields({ items }, { items: [{ service_item_id: 1, count: 5 }] })).toEqual({})
    expect(changedFields({ items }, { items: [{ service_item_id: 1, count: 6 }] })).toEqual({ items: [{ service_item_id: 1, count: 6 }] })
  })

  it('treats null and absent alike, and sends a value cleared to null', () => {
    expect(changedFields<{ note?: string | null }>({}, { note: null })).toEqual({})
    expect(changedFields<{ note: string | null }>({ note: 'x' }, { note: null })).toEqual({ note: null })
  })
})
