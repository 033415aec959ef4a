import { afterEach, describe, expect, it } from 'vitest'
import { nothingFocused } from './focus'

describe('nothingFocused', () => {
  afterEach(() => {
    document.body.innerHTML = ''
  })

  it('is true while the page itself holds the focus', () => {
    expect(nothingFocused()).toBe(true)
  })

  it('is false while a field is focused, and true again once it lets go', () => {
    const field = document.createElement('input')
    document.body.append(field)
    field.focus()
    expect(nothingFocused()).toBe(false)
    field.blur()
    expect(nothingFocused()).toBe(true)
  })
})
