import { describe, expect, it } from 'vitest'
import { defineComponent, h } from 'vue'
import { mount } from '@vue/test-utils'
import { focusUnlessTyping, isTextEntry, plainKey, usePageKeys } from './usePageKeys'

describe('isTextEntry', () => {
  it('knows the fields that take text', () => {
    const input = document.createElement('input')
    const checkbox = Object.assign(document.createElement('input'), { type: 'checkbox' })
    expect(isTextEntry(input)).toBe(true)
    expect(isTextEntry(document.createElement('textarea'))).toBe(true)
    expect(isTextEntry(checkbox)).toBe(false)
    expect(isTextEntry(document.createElement('button'))).toBe(false)
    expect(isTextEntry(null)).toBe(false)
  })
})

describe('focusUnlessTyping', () => {
  it('moves the focus after a load unless the user is already typing in a field', () => {
    const typedIn = document.createElement('input')
    const target = document.createElement('input')
    const button = document.createElement('button')
    document.body.append(typedIn, target, button)
    try {
      typedIn.focus()
      focusUnlessTyping(target)
      expect(document.activeElement).toBe(typedIn)

      button.focus() // a clicked button or menu entry is not typing: the page's field takes the focus
      focusUnlessTyping(target)
      expect(document.activeElement).toBe(target)

      ;(document.activeElement as HTMLElement).blur()
      focusUnlessTyping(target)
      expect(document.activeElement).toBe(target)
      focusUnlessTyping(null) // a page whose field is not shown: nothing happens
      expect(document.activeElement).toBe(target)
    } finally {
      typedIn.remove()
      target.remove()
      button.remove()
    }
  })
})

describe('plainKey', () => {
  it('leaves the browser its own shortcuts', () => {
    expect(plainKey(new KeyboardEvent('keydown', { key: '1' }))).toBe('1')
    expect(plainKey(new KeyboardEvent('keydown', { key: 'r', ctrlKey: true }))).toBeNull()
  })
})

describe('usePageKeys', () => {
  it('listens while the screen is shown, and says whether the key was typed in a field', () => {
    const seen: string[] = []
    const Screen = defineComponent({
      setup() {
        usePageKeys((event, typing) => seen.push(`${event.key}:${typing}`))
        return () => h('input', { id: 'field' })
      },
    })
    const wrapper = mount(Screen, { attachTo: document.body })
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '2' }))
    document.getElementById('field')!.dispatchEvent(new KeyboardEvent('keydown', { key: '3', bubbles: true }))
    wrapper.unmount()
    window.dispatchEvent(new KeyboardEvent('keydown', { key: '4' }))
    expect(seen).toEqual(['2:false', '3:true'])
  })
})
