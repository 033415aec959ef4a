import { describe, expect, it } from 'vitest'
import { reactive } from 'vue'
import type { Schemas } from '@/api/client'
import { fenToInput, useTenderForm, type TenderContext } from './useTenderForm'

type Line = Schemas['WorkOrderLineRead']
type Card = Schemas['PackageCardRead']
type Coupon = Schemas['MemberCouponStaffRead']

const NOW = new Date('2026-03-02T02:00:00Z')

function line(id: number, kind: Line['kind'], serviceItemId: number | null, approval: Line['approval'] = 'not_needed'): Line {
  return {
    id, kind, service_item_id: serviceItemId, part_id: null, name: `line ${id}`, category: 'wash', quantity: 1,
    unit_price_fen: 5000, discount_percent: 0, unit_net_fen: 5000, discount_fen: 0, line_total_fen: 5000,
    approval, approval_via: null, approval_member_id: null, approval_staff_id: null, approval_note: null,
    approval_decided_at: null, labor_hours: null, added_by_staff_id: null, manual_discount: null, technicians: [],
  }
}

function card(id: number, status: Card['status'], items: [number, number][]): Card {
  return {
    id, member_id: 7, template_id: 1, name: `卡${id}`, price_fen: 39900, paid_via: 'cash', store_id: 1, status,
    expires_at: '2027-01-01T00:00:00Z', created_at: '2026-01-01T00:00:00Z',
    items: items.map(([serviceItemId, remaining]) => ({ service_item_id: serviceItemId, name: `项目${serviceItemId}`, initial_count: 10, remaining })),
  }
}

function coupon(id: number, status: Coupon['status'], validFrom = '2026-03-01T00:00:00Z'): Coupon {
  return {
    id, code: `C${id}`, status, source: 'claim', valid_from: validFrom, valid_until: '2026-12-31T00:00:00Z', used_at: null,
    created_at: validFrom, member_id: 7, used_ref_type: null, used_ref_id: null,
    template: {
      id: 1, name: `券${id}`, description: null, kind: 'cash_off', value_fen: 3000, percent_off: null, max_off_fen: null,
      threshold_fen: 0, service_item_id: null, applicable_categories: null, applicable_item_ids: null,
    },
  }
}

function memberContext(): TenderContext {
  return {
    memberId: 7,
    wallet: { balance_fen: 20000, points: 500 },
    coupons: [coupon(1, 'unused'), coupon(2, 'used'), coupon(3, 'unused', '2026-04-01T00:00:00Z')],
    cards: [card(10, 'active', [[100, 3], [200, 5]]), card(11, 'expired', [[100, 4]]), card(12, 'active', [[100, 0]])],
    lines: [line(1, 'labor', 100), line(2, 'part', null), line(3, 'labor', 300, 'declined')],
    now: NOW,
  }
}

const walkIn: TenderContext = { memberId: null, wallet: null, coupons: [], cards: [], lines: [line(1, 'labor', 100)], now: NOW }

describe('which rows exist', () => {
  it('offers a walk-in money only', () => {
    const form = useTenderForm(() => walkIn)
    expect(form.amountRows.value).toEqual(['cash', 'wechat', 'alipay', 'card'])
    expect(form.hasPoints.value).toBe(false)
    expect(form.couponOptions.value).toEqual([])
    expect(form.cardOptions.value).toEqual([])
  })

  it("offers a member stored value, points, usable coupons and the card items matching the order's labor", () => {
    const form = useTenderForm(memberContext)
    expect(form.amountRows.value).toEqual(['stored_value', 'cash', 'wechat', 'alipay', 'card'])
    expect(form.hasPoints.value).toBe(true)
    // used and not yet started coupons are left out
    expect(form.couponOptions.value.map((c) => c.id)).toEqual([1])
    // only item 100 is on the order; expired cards and used-up items are left out
    expect(form.cardOptions.value.map((o) => [o.key, o.remaining])).toEqual([['card:10:100', 3]])
  })

  it('leaves out stored value and points the member does not have', () => {
    const context = { ...memberContext(), wallet: { balance_fen: 0, points: 0 } }
    const form = useTenderForm(() => context)
    expect(form.amountRows.value).toEqual(['cash', 'wechat', 'alipay', 'card'])
    expect(form.hasPoints.value).toBe(false)
  })
})

describe('which rows are valid', () => {
  it('accepts empty rows and amounts a cashier types', () => {
    const form = useTenderForm(memberContext)
    expect(form.valid.value).toBe(true)
    form.amounts.cash = '１２.５'
    form.amounts.stored_value = '200'
    expect(form.errors.value).toEqual({})
  })

  it('refuses text that is not an amount, stored value above the balance and points above the member\'s', () => {
    const form = useTenderForm(memberContext)
    form.amounts.wechat = '12.345'
    form.amounts.stored_value = '200.01'
    form.pointsText.value = '501'
    expect(form.errors.value).toEqual({ wechat: '金额格式不对', stored_value: '超过储值余额', points: '超过可用积分' })
    expect(form.valid.value).toBe(false)
    form.pointsText.value = '1.5'
    expect(form.errors.value.points).toBe('积分须为整数')
  })

  it('refuses more card units than the item has left', () => {
    const form = useTenderForm(memberContext)
    form.setCardUnits('card:10:100', 4)
    expect(form.errors.value['card:10:100']).toBe('最多 3 次')
  })
})

describe('what body is sent', () => {
  it('sends nothing for an untouched form', () => {
    expect(useTenderForm(memberContext).body.value).toEqual({ tenders: [] })
  })

  it('sends cards, coupons, points, stored value and money in the valuation order, amounts in fen', () => {
    const form = useTenderForm(memberContext)
    form.amounts.cash = '10'
    form.amounts.stored_value = '123.4'
    form.pointsText.value = '300'
    form.toggleCoupon(1)
    form.setCardUnits('card:10:100', 2)
    expect(form.body.value.tenders).toEqual([
      { type: 'package_card', card_id: 10, service_item_id: 100 },
      { type: 'package_card', card_id: 10, service_item_id: 100 },
      { type: 'coupon', member_coupon_id: 1 },
      { type: 'points', points: 300 },
      { type: 'stored_value', amount_fen: 12340 },
      { type: 'cash', amount_fen: 1000 },
    ])
    expect(form.keys.value).toEqual(['card:10:100', 'card:10:100', 'coupon:1', 'points', 'stored_value', 'cash'])
  })

  it('leaves out invalid and zero rows, and a coupon toggled off', () => {
    const form = useTenderForm(memberContext)
    form.amounts.cash = 'abc'
    form.amounts.alipay = '0'
    form.toggleCoupon(1)
    form.toggleCoupon(1)
    form.toggleCard('card:10:100')
    expect(form.body.value.tenders).toEqual([{ type: 'package_card', card_id: 10, service_item_id: 100 }])
  })

  it('never sends member tenders for a walk-in', () => {
    const form = useTenderForm(() => walkIn)
    form.amounts.stored_value = '50'
    form.pointsText.value = '100'
    form.toggleCoupon(1)
    form.amounts.card = '50'
    expect(form.body.value.tenders).toEqual([{ type: 'card', amount_fen: 5000 }])
  })

  it('sends the 挂账 row last, as its component emitted it, for a member or a walk-in, and without it when asked', () => {
    const form = useTenderForm(memberContext)
    form.amounts.stored_value = '50'
    form.amounts.cash = '200'
    form.setOnAccount({ type: 'on_account', account_id: 4, amount_fen: 123456 })
    expect(form.body.value.tenders).toEqual([
      { type: 'stored_value', amount_fen: 5000 },
      { type: 'cash', amount_fen: 20000 },
      { type: 'on_account', account_id: 4, amount_fen: 123456 },
    ])
    expect(form.keys.value).toEqual(['stored_value', 'cash', 'on_account'])
    expect(form.bodyWithout('on_account').tenders).toEqual([
      { type: 'stored_value', amount_fen: 5000 },
      { type: 'cash', amount_fen: 20000 },
    ])
    expect(form.bodyWithout('cash').tenders).toEqual([
      { type: 'stored_value', amount_fen: 5000 },
      { type: 'on_account', account_id: 4, amount_fen: 123456 },
    ])
    form.setOnAccount(null)
    expect(form.keys.value).toEqual(['stored_value', 'cash'])

    const walkInForm = useTenderForm(() => walkIn)
    walkInForm.setOnAccount({ type: 'on_account', account_id: 4, amount_fen: 800 })
    expect(walkInForm.body.value.tenders).toEqual([{ type: 'on_account', account_id: 4, amount_fen: 800 }])
  })

  it('quotes without a row to learn what that row should take', () => {
    const form = useTenderForm(memberContext)
    form.amounts.cash = '10'
    form.amounts.stored_value = '20'
    expect(form.bodyWithout('stored_value').tenders).toEqual([{ type: 'cash', amount_fen: 1000 }])
  })
})

describe('filling a row with what the server says remains', () => {
  it('puts the remaining amount into the row', () => {
    const form = useTenderForm(memberContext)
    form.fill('cash', 12345)
    expect(form.amounts.cash).toBe('123.45')
    expect(form.body.value.tenders).toEqual([{ type: 'cash', amount_fen: 12345 }])
  })

  it('takes at most the balance into stored value, and empties a row when nothing remains', () => {
    const form = useTenderForm(memberContext)
    form.fill('stored_value', 35820)
    expect(form.amounts.stored_value).toBe('200.00')
    form.fill('stored_value', 0)
    expect(form.amounts.stored_value).toBe('')
  })

  it('puts the most points the server allows', () => {
    const form = useTenderForm(memberContext)
    form.fillPoints(400)
    expect(form.pointsText.value).toBe('400')
    form.fillPoints(null)
    expect(form.pointsText.value).toBe('')
  })

  it('follows the context when it changes (a refreshed wallet)', () => {
    const context = reactive(memberContext())
    const form = useTenderForm(() => context)
    form.amounts.stored_value = '150'
    expect(form.valid.value).toBe(true)
    context.wallet = { balance_fen: 10000, points: 500 }
    expect(form.errors.value.stored_value).toBe('超过储值余额')
  })
})

describe('fenToInput', () => {
  it('writes fen as yuan text', () => {
    expect([fenToInput(0), fenToInput(5), fenToInput(100), fenToInput(123456)]).toEqual(['0.00', '0.05', '1.00', '1234.56'])
  })
})
