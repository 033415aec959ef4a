import { describe, expect, it } from 'vitest'
import type { Schemas } from '@/api/client'
import { gridRows, layoutBookings, minutesNowIn, openingOn, shiftDay, todayIn, wallMinutes } from './bookingBoard'

type Booking = Schemas['BookingRead']
const DAY = '2026-12-01' // a Tuesday

function booking(id: number, start: string, end: string, status: Booking['status'] = 'booked'): Booking {
  return {
    id,
    store_id: 1,
    member_id: 1,
    vehicle_id: id,
    plate: `粤B0000${id}`,
    service_item_id: 1,
    start: `${DAY}T${start}:00+08:00`,
    end: `${DAY}T${end}:00+08:00`,
    status,
    work_order_id: null,
    reschedule_count: 0,
    cancelled_at: null,
    cancelled_by: null,
    cancel_reason: null,
    checked_in_at: null,
    no_show_at: null,
    created_at: '2026-11-30T02:00:00+00:00',
  } as Booking
}

const store = { bays: 2, slot_minutes: 30, opening_hours: { tue: ['09:00', '18:00'] }, closed_dates: ['2026-12-25'] }

describe('opening hours', () => {
  it('reads the weekday and the closed dates', () => {
    expect(openingOn(store, DAY)).toEqual({ opens: 540, closes: 1080 })
    expect(openingOn(store, '2026-12-02')).toBeNull()
    expect(openingOn({ ...store, opening_hours: { fri: ['09:00', '18:00'] } }, '2026-12-25')).toBeNull()
  })
})

describe('layoutBookings', () => {
  it('puts each booking in the first bay free at its start', () => {
    const layout = layoutBookings(
      [booking(1, '09:00', '10:00'), booking(2, '09:30', '10:30'), booking(3, '10:00', '11:00'), booking(4, '10:30', '11:00', 'checked_in')],
      store,
      DAY,
    )
    expect(layout.lanes).toBe(2)
    expect(Object.fromEntries(layout.placed.map((p) => [p.booking.id, p.lane]))).toEqual({ 1: 0, 2: 1, 3: 0, 4: 1 })
    expect(layout.rows[0]).toBe(540)
    expect(layout.rows.at(-1)).toBe(1050)
    expect(layout.rows).toHaveLength(18)
  })

  it('lists cancelled and no-show bookings apart: they hold no bay', () => {
    const layout = layoutBookings([booking(1, '09:00', '10:00', 'cancelled'), booking(2, '09:00', '10:00', 'no_show'), booking(3, '09:00', '10:00')], store, DAY)
    expect(layout.placed.map((p) => [p.booking.id, p.lane])).toEqual([[3, 0]])
    expect(layout.released.map((b) => b.id)).toEqual([1, 2])
  })

  it('opens an extra column when more bookings overlap than the store has bays now', () => {
    const layout = layoutBookings([booking(1, '09:00', '10:00'), booking(2, '09:00', '10:00'), booking(3, '09:00', '10:00')], store, DAY)
    expect(layout.lanes).toBe(3)
    expect(layout.placed.map((p) => p.lane)).toEqual([0, 1, 2])
  })

  it('stretches the rows to bookings outside the hours, and has rows on a closed day with bookings', () => {
    const closedDay = layoutBookings([booking(1, '08:00', '08:40')], { ...store, opening_hours: {} }, DAY)
    expect(closedDay.hours).toBeNull()
    expect(closedDay.rows).toEqual([480, 510])
    expect(layoutBookings([], { ...store, opening_hours: {} }, DAY).rows).toEqual([])
  })

  it('maps a booking to its grid rows (row 1 is the header)', () => {
    const layout = layoutBookings([booking(1, '10:00', '11:00')], store, DAY)
    expect(gridRows(layout.placed[0]!, layout)).toEqual({ start: 4, end: 6 })
  })
})

describe('merchant clock', () => {
  it('reads wall-clock minutes from the service times', () => {
    expect(wallMinutes('2026-12-01T09:30:00+08:00', DAY)).toBe(570)
    expect(wallMinutes('2026-12-02T00:30:00+08:00', DAY)).toBe(1470)
  })

  it("tells today's date and time in the merchant's timezone", () => {
    const instant = new Date('2026-03-01T17:30:00Z') // 01:30 on 2 March in Shanghai
    expect(todayIn('Asia/Shanghai', instant)).toBe('2026-03-02')
    expect(todayIn('UTC', instant)).toBe('2026-03-01')
    expect(minutesNowIn('Asia/Shanghai', instant)).toBe(90)
  })

  it('moves a day across month ends', () => {
    expect(shiftDay('2026-02-28', 1)).toBe('2026-03-01')
    expect(shiftDay('2026-03-01', -1)).toBe('2026-02-28')
  })
})
