import { describe, expect, it } from 'vitest'
import { placeRefusal } from './campaignErrors'

const texts = { thing1: '{nickname}的爱车', thing2: '限时折扣 {coupon}' }

describe('placing a refused campaign', () => {
  it('puts marketing wording at the field the service named, with the words', () => {
    const placement = placeRefusal({ code: 'marketing_wording', message: '不能含营销用语', details: { field: 'thing2', words: ['折扣', '限时'] } }, texts)
    expect(placement).toEqual({ step: 'message', fields: { thing2: '不能含营销用语（含：折扣、限时）' }, general: '' })
  })

  it('puts a field the template refuses at that field', () => {
    expect(placeRefusal({ code: 'template_field_invalid', message: '不符合', details: { field: 'car_number1' } }, texts).fields).toEqual({ car_number1: '不符合' })
  })

  it('finds the fields that use an unknown placeholder', () => {
    const placement = placeRefusal({ code: 'unknown_placeholder', message: '不支持的变量', details: { placeholders: ['coupon'] } }, texts)
    expect(placement.fields).toEqual({ thing2: '不支持的变量：{coupon}' })
    expect(placement.general).toBe('')
  })

  it('sends other refusals to their step', () => {
    expect(placeRefusal({ code: 'segment_not_found', message: '未找到该客群', details: {} }, texts)).toEqual({ step: 'audience', fields: {}, general: '未找到该客群' })
    expect(placeRefusal({ code: 'coupon_template_not_found', message: 'x', details: {} }, texts).step).toBe('gift')
    expect(placeRefusal({ code: 'validation_error', message: '有误', details: { fields: { send_at: ['Not a valid datetime.'] } } }, texts).step).toBe('schedule')
    expect(placeRefusal({ code: 'validation_error', message: '有误', details: { fields: { message: { fields: ['x'] } } } }, texts).step).toBe('message')
    expect(placeRefusal({ code: 'internal_error', message: '系统出错', details: {} }, texts)).toEqual({ step: 'schedule', fields: {}, general: '系统出错' })
  })
})
