import { describe, expect, it } from 'vitest'
import type { Schemas } from '@/api/client'
import { refundLedgerRows, reversalEntries } from './refundLedger'

type Order = Schemas['WorkOrderRead']
type Line = Order['lines'][number]
type Payment = Order['payments'][number]

const at = '2025-05-01T10:00:00+08:00'

function line(overrides: Partial<Line>): Line {
  return {
    id: 1, kind: 'labor', service_item_id: 1, part_id: null, name: '精致洗车', category: 'wash', quantity: 1, unit_price_fen: 5000,
    discount_percent: 0, unit_net_fen: 5000, discount_fen: 0, line_total_fen: 5000, approval: 'not_needed', approval_via: null,
    approval_member_id: null, approval_staff_id: null, approval_note: null, approval_decided_at: null, labor_hours: null,
    added_by_staff_id: 1, manual_discount: null, technicians: [], ...overrides,
  } as Line
}

function payment(overrides: Partial<Payment>): Payment {
  return { id: 1, type: 'cash', amount_fen: 0, status: 'posted', points: null, member_coupon_id: null, card_id: null, service_item_id: null, line_id: null, account_id: null, created_at: at, ...overrides }
}

function order(overrides: Partial<Order>): Order {
  return {
    id: 42, number: 'WO1', store_id: 1, vehicle_id: 1, plate: '粤B12345', member_id: 7, booking_id: null, status: 'settled', mileage_km: null,
    lines: [], subtotal_fen: 0, discount_fen: 0, total_fen: 0, paid_fen: 0, points_earned: 0, payments: [], pending_line_ids: [],
    created_at: at, started_at: null, completed_at: null, settled_at: at, cancelled_at: null, refunded_at: null, refund_reason: null, manual_discount: null,
    ...overrides,
  } as Order
}

const walletEntry = (overrides: Partial<Schemas['WalletEntryStaffRead']>): Schemas['WalletEntryStaffRead'] => ({
  id: 5, kind: 'spend', amount_fen: -10000, principal_fen: -9090, bonus_fen: -910, balance_after_fen: 0, ref_type: 'work_order', ref_id: 42,
  plan_id: null, paid_via: null, note: null, created_at: at, created_by: null, store_id: 1, reverses_entry_id: null, ...overrides,
})

describe('refundLedgerRows', () => {
  it('shows stored value with the principal and bonus the entry recorded', () => {
    const rows = refundLedgerRows(
      order({ payments: [payment({ type: 'stored_value', amount_fen: 10000 })], paid_fen: 10000, points_earned: 100 }),
      [walletEntry({ ref_id: 41, id: 4 }), walletEntry({})],
      [{ id: 1, kind: 'earn', points: 100, balance_after: 100, shortfall: 0, ref_type: 'work_order', ref_id: 42, reason: null, created_at: at, lot_id: 1, reverses_entry_id: null, created_by: null }],
    )
    expect(rows.map((row) => row.ledger)).toEqual(['储值', '积分（本单赠送）', '会员消费记录'])
    expect(rows[0]).toMatchObject({ settled: '扣储值 ¥100.00（本金 ¥90.90，赠送 ¥9.10）', reversal: '退回储值 ¥100.00（本金 ¥90.90，赠送 ¥9.10）' })
    expect(rows[1]).toMatchObject({ settled: '赠送 100 积分' })
  })

  it('names every instrument, the parts back into stock and the commission', () => {
    const rows = refundLedgerRows(
      order({
        member_id: null,
        payments: [
          payment({ id: 1, type: 'points', amount_fen: 500, points: 500 }),
          payment({ id: 2, type: 'coupon', amount_fen: 2000, member_coupon_id: 9 }),
          payment({ id: 3, type: 'package_card', amount_fen: 5000, card_id: 3 }),
          payment({ id: 4, type: 'wechat', amount_fen: 100 }),
          payment({ id: 5, type: 'cash', amount_fen: 100, status: 'released' }),
        ],
        lines: [
          line({ id: 1, technicians: [{ staff_id: 5, username: 'tech1', share_percent: 100 }] }),
          line({ id: 2, kind: 'part', name: '机滤', quantity: 2 }),
          line({ id: 3, kind: 'part', name: '雨刮', approval: 'declined' }),
        ],
      }),
      [],
      [],
    )
    expect(rows.map((row) => `${row.ledger}|${row.settled}`)).toEqual([
      '积分|积分抵扣 500 分（抵 ¥5.00）',
      '优惠券|使用优惠券 #9（抵 ¥20.00）',
      '次卡|次卡 #3 使用 1 次（抵 ¥50.00）',
      '微信|收 ¥1.00',
      '库存|出库 机滤 × 2',
      '提成|技师提成已记入',
    ])
  })

  it('without the entry, stored value shows the payment alone', () => {
    const rows = refundLedgerRows(order({ payments: [payment({ type: 'stored_value', amount_fen: 300 })] }), [], [])
    expect(rows[0]?.settled).toBe('扣储值 ¥3.00')
  })
})

describe('reversalEntries', () => {
  it('keeps the reversals of the given entries only', () => {
    const spend = walletEntry({ id: 5 })
    const entries = [walletEntry({ id: 9, kind: 'reversal', reverses_entry_id: 5 }), walletEntry({ id: 8, kind: 'reversal', reverses_entry_id: 3 }), spend]
    expect(reversalEntries(entries, [spend]).map((entry) => entry.id)).toEqual([9])
  })
})
