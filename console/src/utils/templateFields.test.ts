import { describe, expect, it } from 'vitest'
import { charCount, fieldStatus, fieldType, nextKey, sampleText, unknownPlaceholders } from './templateFields'

describe('template fields', () => {
  it('reads the type from the key', () => {
    expect(fieldType('thing1')).toBe('thing')
    expect(fieldType('car_number12')).toBe('car_number')
    expect(fieldType('character_string3')).toBe('character_string')
    expect(fieldType('thing')).toBeNull()
    expect(fieldType('colour1')).toBeNull()
  })

  it('counts the text with placeholders filled as the service checks it', () => {
    expect(sampleText('{nickname}的爱车{plate}')).toBe('车主的爱车粤B12345')
    expect(fieldStatus('thing1', '{nickname}的爱车{plate}')).toMatchObject({ length: 12, limit: 20, state: 'ok' })
    expect(charCount('🚗保养')).toBe(3)
  })

  it('says when a field is too long: cut for free text, refused for the others', () => {
    expect(fieldStatus('thing2', '一'.repeat(21))).toMatchObject({ state: 'cut', length: 21, limit: 20 })
    expect(fieldStatus('thing2', '一'.repeat(20)).state).toBe('ok')
    expect(fieldStatus('phrase3', '已经完成了啊')).toMatchObject({ state: 'over', limit: 5 })
    expect(fieldStatus('car_number1', '{plate}').state).toBe('ok')
    expect(fieldStatus('car_number1', '{plate}{plate}').state).toBe('over')
  })

  it('flags empty values and unknown types', () => {
    expect(fieldStatus('thing1', '   ').state).toBe('empty')
    expect(fieldStatus('colour1', 'red').state).toBe('unknown')
  })

  it('finds placeholders the service does not know', () => {
    expect(unknownPlaceholders('{nickname}您好，{coupon}已到账')).toEqual(['coupon'])
    expect(unknownPlaceholders('{store}')).toEqual([])
  })

  it('numbers a new key after every key taken, whatever its type', () => {
    expect(nextKey('thing', ['thing1', 'thing2', 'date3'])).toBe('thing4')
    expect(nextKey('date', ['thing1'])).toBe('date2')
    expect(nextKey('thing', [])).toBe('thing1')
  })
})
