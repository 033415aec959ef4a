import { describe, expect, it } from 'vitest'
import type { Schemas } from '@/api/client'
import { columnOf, displayPlate, elapsedOf, formatDuration, reconcileCards, sortCards, toCard, type BoardCard } from './board'

type WorkOrder = Schemas['WorkOrderRead']
type Line = WorkOrder['lines'][number]

function line(id: number, approval: Line['approval'], technicians: string[] = []): Line {
  return {
    id,
    kind: 'labor',
    service_item_id: 1,
    part_id: null,
    name: `项目${id}`,
    category: 'wash',
    quantity: 1,
    unit_price_fen: 5000,
    discount_percent: 0,
    unit_net_fen: 5000,
    discount_fen: 0,
    line_total_fen: 5000,
    approval,
    approval_via: null,
    approval_member_id: null,
    approval_staff_id: null,
    approval_note: null,
    approval_decided_at: null,
    labor_hours: null,
    added_by_staff_id: null,
    manual_discount: null,
    technicians: technicians.map((username, i) => ({ staff_id: i + 1, username, share_percent: 50 })),
  } as Line
}

function order(overrides: Partial<WorkOrder> = {}): WorkOrder {
  return {
    id: 1,
    number: 'S1-20260302-001',
    store_id: 1,
    vehicle_id: 1,
    plate: '粤B12345',
    vehicle_model: '比亚迪 汉',
    member_id: null,
    booking_id: null,
    status: 'open',
    mileage_km: null,
    lines: [line(1, 'not_needed', ['tech1'])],
    subtotal_fen: 5000,
    discount_fen: 0,
    total_fen: 5000,
    paid_fen: 0,
    points_earned: 0,
    payments: [],
    pending_line_ids: [],
    created_at: '2026-03-02T02:00:00+00:00',
    started_at: null,
    completed_at: null,
    settled_at: null,
    cancelled_at: null,
    refunded_at: null,
    refund_reason: null,
    manual_discount: null,
    ...overrides,
  } as WorkOrder
}

describe('columnOf', () => {
  it('maps the statuses and the approval state to the columns', () => {
    expect(columnOf(order({ status: 'open' }))).toBe('waiting')
    expect(columnOf(order({ status: 'in_progress' }))).toBe('working')
    expect(columnOf(order({ status: 'completed' }))).toBe('ready')
    expect(columnOf(order({ status: 'paying' }))).toBe('ready')
    expect(columnOf(order({ status: 'settled' }))).toBe('settled')
    expect(columnOf(order({ status: 'cancelled' }))).toBeNull()
    expect(columnOf(order({ status: 'refunded' }))).toBeNull()
  })

  it('puts any unfinished order with extra work pending in 待确认', () => {
    for (const status of ['open', 'in_progress', 'completed'] as const) {
      expect(columnOf(order({ status, pending_line_ids: [7] }))).toBe('approval')
    }
  })
})

describe('toCard', () => {
  it('shows the plate with its dot, the model, the items and each technician once', () => {
    const card = toCard(
      order({
        lines: [line(1, 'not_needed', ['tech1', 'tech2']), line(2, 'approved', ['tech1']), line(3, 'declined', ['tech3'])],
      }),
    )!
    expect(card.plate).toBe('粤B·12345')
    expect(card.model).toBe('比亚迪 汉')
    expect(card.items).toEqual(['项目1', '项目2'])
    expect(card.technicians).toEqual(['tech1', 'tech2'])
  })

  it('leaves cancelled orders off the board', () => {
    expect(toCard(order({ status: 'cancelled' }))).toBeNull()
  })
})

describe('reconcileCards', () => {
  const a = toCard(order({ id: 1 }))!
  const b = toCard(order({ id: 2, plate: '粤B22222' }))!

  it('keeps the old list when nothing changed', () => {
    const result = reconcileCards([a, b], [toCard(order({ id: 1 }))!, toCard(order({ id: 2, plate: '粤B22222' }))!])
    expect(result.changed).toBe(false)
    expect(result.items[0]).toBe(a)
    expect(result.items[1]).toBe(b)
  })

  it('replaces only the card that changed', () => {
    const moved = toCard(order({ id: 2, plate: '粤B22222', status: 'in_progress', started_at: '2026-03-02T02:10:00+00:00' }))!
    const result = reconcileCards([a, b], [toCard(order({ id: 1 }))!, moved])
    expect(result.changed).toBe(true)
    expect(result.items[0]).toBe(a)
    expect(result.items[1]).toBe(moved)
  })

  it('notices a technician change, a new card, a card gone and a new order of cards', () => {
    const withTech = toCard(order({ id: 1, lines: [line(1, 'not_needed', ['tech2'])] }))!
    expect(reconcileCards([a], [withTech]).changed).toBe(true)
    expect(reconcileCards([a], [a, b]).changed).toBe(true)
    expect(reconcileCards([a, b], [a]).changed).toBe(true)
    expect(reconcileCards([a, b], [b, a]).changed).toBe(true)
  })
})

describe('sortCards and elapsed time', () => {
  const cards: BoardCard[] = [
    toCard(order({ id: 1, created_at: '2026-03-02T03:00:00+00:00', status: 'settled', settled_at: '2026-03-02T04:00:00+00:00' }))!,
    toCard(order({ id: 2, created_at: '2026-03-02T01:00:00+00:00', status: 'settled', settled_at: '2026-03-02T05:00:00+00:00' }))!,
  ]

  it('puts the longest waiting car first, and the last settled first', () => {
    expect(sortCards(cards, 'waiting').map((c) => c.id)).toEqual([2, 1])
    expect(sortCards(cards, 'settled').map((c) => c.id)).toEqual([2, 1])
  })

  it('counts from the moment that matters in each column', () => {
    const working = toCard(order({ status: 'in_progress', started_at: '2026-03-02T02:30:00+00:00' }))!
    expect(elapsedOf(working)).toEqual({ label: '施工', since: '2026-03-02T02:30:00+00:00' })
    const settled = cards[0]!
    expect(elapsedOf(settled)).toEqual({ label: '在店用时', since: settled.openedAt, until: settled.settledAt })
  })

  it('formats durations in minutes, hours and days', () => {
    expect(formatDuration(-5000)).toBe('0 分钟')
    expect(formatDuration(7 * 60_000)).toBe('7 分钟')
    expect(formatDuration(65 * 60_000)).toBe('1 小时 05 分')
    expect(formatDuration(51 * 3_600_000)).toBe('2 天 3 小时')
  })

  it('writes plates with the dot', () => {
    expect(displayPlate('粤BD12345')).toBe('粤B·D12345')
  })
})
