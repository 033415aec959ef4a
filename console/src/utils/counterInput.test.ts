import { describe, expect, it } from 'vitest'
import { classifyCounterInput, displayPlate, isCardToken, isFullPlate, normalizeCounterInput, withProvince } from './counterInput'

// The shape of a member-card QR's payload (a signed token), as the scanner types it.
const CARD =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI0MiIsInB1cnBvc2UiOiJtZW1iZXJfY2FyZCJ9.Xk3mQ9v_b-2pL7sT0aWcYd8eFgHjKlMnOpQrStUvWxY'

describe('normalizeCounterInput', () => {
  it('upper-cases and drops the separators plates are written with', () => {
    expect(normalizeCounterInput('粤b·12345')).toBe('粤B12345')
    expect(normalizeCounterInput('粤B • 123-45')).toBe('粤B12345')
    expect(normalizeCounterInput(' 粤b.12 345 ')).toBe('粤B12345')
    expect(normalizeCounterInput('粤B・12345')).toBe('粤B12345')
  })

  it('turns full-width letters, digits, dashes and spaces into half-width ones', () => {
    expect(normalizeCounterInput('粤ｂ１２３４５')).toBe('粤B12345')
    expect(normalizeCounterInput('ＢＤ１２－３４５')).toBe('BD12345')
    expect(normalizeCounterInput('粤Ｂ\u3000１２３４５')).toBe('粤B12345')
  })
})

describe('isFullPlate and displayPlate', () => {
  it('accepts the shapes of the service (5 characters, or 6 for new-energy plates)', () => {
    expect(isFullPlate('粤B12345')).toBe(true)
    expect(isFullPlate('粤BD12345')).toBe(true)
    expect(isFullPlate('粤B1234学')).toBe(true)
    expect(isFullPlate('粤B1234')).toBe(false)
    expect(isFullPlate('粤I12345')).toBe(false) // no I or O for the city letter
    expect(isFullPlate('XB12345')).toBe(false)
  })

  it('shows a stored plate with its dot', () => {
    expect(displayPlate('粤B12345')).toBe('粤B·12345')
    expect(displayPlate('粤B')).toBe('粤B')
  })
})

describe('classifyCounterInput', () => {
  it('reads nothing, or too little, as nothing to search yet', () => {
    expect(classifyCounterInput('')).toEqual({ kind: 'empty' })
    expect(classifyCounterInput(' · ')).toEqual({ kind: 'empty' })
    expect(classifyCounterInput('粤')).toEqual({ kind: 'too_short', text: '粤' })
    expect(classifyCounterInput('粤b')).toEqual({ kind: 'too_short', text: '粤B' })
    expect(classifyCounterInput('12')).toEqual({ kind: 'too_short', text: '12' })
  })

  it('reads plate fragments in any case, width and punctuation', () => {
    expect(classifyCounterInput('b12')).toEqual({ kind: 'plate', text: 'B12', full: false })
    expect(classifyCounterInput('ｂ１２３')).toEqual({ kind: 'plate', text: 'B123', full: false })
    expect(classifyCounterInput('粤b·123')).toEqual({ kind: 'plate', text: '粤B123', full: false })
    expect(classifyCounterInput('123')).toEqual({ kind: 'plate', text: '123', full: false })
  })

  it('marks a whole plate, which may be opened as a new car', () => {
    expect(classifyCounterInput('粤b·12345')).toEqual({ kind: 'plate', text: '粤B12345', full: true })
    expect(classifyCounterInput('粤ｂｄ１２３４５')).toEqual({ kind: 'plate', text: '粤BD12345', full: true })
  })

  it('searches 4 to 6 digits both as plate digits and as the end of a phone number', () => {
    expect(classifyCounterInput('5678')).toEqual({ kind: 'digits', text: '5678' })
    expect(classifyCounterInput('１２３４５６')).toEqual({ kind: 'digits', text: '123456' })
  })

  it('reads longer runs of digits as phone numbers, whole or their end', () => {
    expect(classifyCounterInput('13800000001')).toEqual({ kind: 'phone', text: '13800000001', whole: true })
    expect(classifyCounterInput('138 0000 0001')).toEqual({ kind: 'phone', text: '13800000001', whole: true })
    expect(classifyCounterInput('138-0000-0001')).toEqual({ kind: 'phone', text: '13800000001', whole: true })
    expect(classifyCounterInput('+86 138 0000 0001')).toEqual({ kind: 'phone', text: '13800000001', whole: true })
    expect(classifyCounterInput('0000001')).toEqual({ kind: 'phone', text: '0000001', whole: false })
    expect(classifyCounterInput('123456789012')).toEqual({ kind: 'unknown', text: '123456789012' })
  })

  it('reads Chinese beyond a province as a member name', () => {
    expect(classifyCounterInput('张伟')).toEqual({ kind: 'name', text: '张伟' })
    expect(classifyCounterInput(' 王 ')).toEqual({ kind: 'name', text: '王' })
  })

  it('keeps a scanned member card exactly as scanned (its case matters)', () => {
    expect(isCardToken(CARD)).toBe(true)
    expect(classifyCounterInput(`${CARD}\n`)).toEqual({ kind: 'card', token: CARD })
    // A half-scanned card is not sent anywhere as a plate.
    expect(classifyCounterInput(CARD.slice(0, 40)).kind).toBe('unknown')
    expect(isCardToken('a.b.c')).toBe(false)
  })

  it('does not take more than a plate for a plate', () => {
    expect(classifyCounterInput('粤B1234567')).toEqual({ kind: 'unknown', text: '粤B1234567' })
    expect(classifyCounterInput('b12!')).toEqual({ kind: 'unknown', text: 'B12!' })
  })
})

describe('withProvince', () => {
  it('puts the province first, replacing one already there', () => {
    expect(withProvince('', '粤')).toBe('粤')
    expect(withProvince('b12345', '粤')).toBe('粤b12345')
    expect(withProvince('京B12345', '粤')).toBe('粤B12345')
  })
})
