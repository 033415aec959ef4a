import { describe, expect, it } from 'vitest'
import { changeLines, valueText } from './auditText'

describe('changeLines', () => {
  it('writes a setting change as its Chinese name, before and after', () => {
    expect(changeLines({ console_lock_minutes: 5 }, { console_lock_minutes: 30 })).toEqual([
      { field: 'console_lock_minutes', label: '锁屏时间（分钟）', before: '5', after: '30' },
    ])
  })

  it('shows a created account with its role and stores by name', () => {
    const lines = changeLines(null, { username: 'lily', role: 'cashier', store_ids: [1, 9], is_active: true }, { storeName: (id) => (id === 1 ? '南山店' : undefined) })
    expect(lines.map((line) => [line.label, line.before, line.after])).toEqual([
      ['用户名', '—', 'lily'],
      ['角色', '—', '收银员'],
      ['门店', '—', '南山店、门店 9'],
      ['状态', '—', '在用'],
    ])
  })

  it('keeps fields it has no name for, and never shows more than the service recorded', () => {
    expect(changeLines({ password: 'old' }, { password: 'new' })[0]).toMatchObject({ label: '密码', before: '原密码', after: '新密码' })
    expect(changeLines({ surprise: [1, 2] }, null)[0]).toEqual({ field: 'surprise', label: 'surprise', before: '1、2', after: '—' })
  })
})

describe('valueText', () => {
  it('formats money, flags, hours and empty values', () => {
    expect(valueText('labor_rate_fen', 12000)).toBe('¥120.00')
    expect(valueText('allow_negative_stock', false)).toBe('否')
    expect(valueText('is_active', false)).toBe('已停用')
    expect(valueText('opening_hours', { mon: ['09:00', '18:00'] })).toBe('周一 09:00–18:00')
    expect(valueText('referral_monthly_cap', null)).toBe('—')
    expect(valueText('store_ids', [])).toBe('（无）')
    expect(valueText('kind', 'cash_off')).toBe('满减券')
    expect(valueText('kind', 'something_new')).toBe('something_new')
  })
})
