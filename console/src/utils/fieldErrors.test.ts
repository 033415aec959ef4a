import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/client'
import { fieldErrors, validationText } from './fieldErrors'

describe('fieldErrors', () => {
  it('puts each field of a validation_error beside it, in Chinese', () => {
    const error = new ApiError('validation_error', 422, 'invalid', {
      fields: {
        console_lock_minutes: ['Must be greater than or equal to 1 and less than or equal to 240.'],
        password: ['Missing data for required field.'],
        store_ids: { 0: ['Not a valid integer.'] },
        username: ['Length must be between 1 and 64.'],
      },
    })
    expect(fieldErrors(error)).toEqual({
      console_lock_minutes: '应在 1–240 之间',
      password: '必填',
      store_ids: '请输入整数',
      username: '长度应为 1–64 个字符',
    })
  })

  it('maps a rule of its own to the field the form names for it', () => {
    const error = new ApiError('weak_password', 422, 'passwords have at least 8 characters')
    expect(fieldErrors(error, { weak_password: 'password' })).toEqual({ password: error.message })
    expect(fieldErrors(error)).toEqual({})
  })

  it('leaves refusals about no field, and anything that is not a refusal, to the caller', () => {
    expect(fieldErrors(new ApiError('network_error', 0, 'offline'))).toEqual({})
    expect(fieldErrors(new ApiError('validation_error', 422, 'x', {}))).toEqual({})
    expect(fieldErrors(new Error('boom'))).toEqual({})
  })

  it('shows a message it does not know as the service sent it', () => {
    expect(validationText('Something new.')).toBe('Something new.')
    expect(validationText('Must be one of: cashier, owner.')).toBe('请选择列表中的值')
  })
})
