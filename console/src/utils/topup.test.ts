import { describe, expect, it } from 'vitest'
import { paidViaForKey, planIndexForKey, topupBody } from './topup'

const plan = { id: 2, name: '充1000送150', pay_fen: 100000, bonus_fen: 15000, grants_tier_id: null, is_active: true, created_at: '2025-01-01T00:00:00+08:00' }

describe('keys', () => {
  it('digits pick the plans shown, in order', () => {
    expect(planIndexForKey('1', 3)).toBe(0)
    expect(planIndexForKey('3', 3)).toBe(2)
    expect(planIndexForKey('4', 3)).toBeNull()
    expect(planIndexForKey('0', 3)).toBeNull()
    expect(planIndexForKey('a', 3)).toBeNull()
  })
  it('letters pick the payment method', () => {
    expect(paidViaForKey('x')).toBe('cash')
    expect(paidViaForKey('W')).toBe('wechat')
    expect(paidViaForKey('z')).toBe('alipay')
    expect(paidViaForKey('k')).toBe('card')
    expect(paidViaForKey('q')).toBeNull()
  })
})

describe('topupBody', () => {
  it('a plan pays its own price', () => {
    expect(topupBody({ kind: 'plan', plan }, 'wechat', 1)).toEqual({
      ok: true,
      body: { amount_fen: 100000, plan_id: 2, paid_via: 'wechat', store_id: 1 },
    })
  })
  it('an amount typed in yuan goes in fen, without a plan', () => {
    expect(topupBody({ kind: 'amount', text: '２００.5' }, 'cash', null)).toEqual({ ok: true, body: { amount_fen: 20050, paid_via: 'cash' } })
  })
  it('asks for what is missing', () => {
    expect(topupBody(null, 'cash', 1)).toEqual({ ok: false, error: '请选择充值方案或输入金额' })
    expect(topupBody({ kind: 'plan', plan }, null, 1)).toEqual({ ok: false, error: '请选择支付方式' })
    expect(topupBody({ kind: 'amount', text: '0' }, 'cash', 1)).toEqual({ ok: false, error: '请输入充值金额（元，最多两位小数）' })
    expect(topupBody({ kind: 'amount', text: '1.001' }, 'cash', 1).ok).toBe(false)
  })
})
