// Today's bookings (今日预约) laid out per bay (工位): the service counts bays per slot but does not
// say which bay a booking takes, so the board puts each booking that holds a bay into the first
// bay column free at its start (layout only; capacity is the service's rule). Times are read as
// the merchant's wall clock straight from the service's ISO strings (they carry the merchant's offset).
import type { Schemas } from '@/api/client'

type Booking = Schemas['BookingRead']
type Store = Schemas['StoreRead']

export const BOOKING_STATUS: Record<Booking['status'], { label: string; tag: 'primary' | 'success' | 'info' | 'danger' }> = {
  booked: { label: '已预约', tag: 'primary' },
  checked_in: { label: '已到店', tag: 'success' },
  cancelled: { label: '已取消', tag: 'info' },
  no_show: { label: '未到店', tag: 'danger' },
}

const HOLDS_A_BAY: Booking['status'][] = ['booked', 'checked_in']
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const

/** "09:30" → 570. */
export function hhmmToMinutes(value: string): number {
  const [h, m] = value.split(':').map(Number)
  return (h ?? 0) * 60 + (m ?? 0)
}

export function minutesToHhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`
}

/** Minutes after midnight of `day` on the merchant's clock: "2026-12-01T09:30:00+08:00" → 570 (a later day counts whole days on). */
export function wallMinutes(iso: string, day: string): number {
  const date = iso.slice(0, 10)
  const dayOffset = Math.round((Date.parse(`${date}T00:00:00Z`) - Date.parse(`${day}T00:00:00Z`)) / 86_400_000)
  return dayOffset * 1440 + hhmmToMinutes(iso.slice(11, 16))
}

/** The store's opening hours on `day` (YYYY-MM-DD) in minutes, or null when it is closed that day. */
export function openingOn(store: Pick<Store, 'opening_hours' | 'closed_dates'>, day: string): { opens: number; closes: number } | null {
  if (store.closed_dates.includes(day)) return null
  const weekday = WEEKDAYS[new Date(`${day}T00:00:00Z`).getUTCDay()]!
  const span = store.opening_hours[weekday]
  if (!span || span.length !== 2) return null
  return { opens: hhmmToMinutes(span[0]!), closes: hhmmToMinutes(span[1]!) }
}

export interface PlacedBooking {
  booking: Booking
  /** 0-based bay column; columns from `bays` on are bookings beyond the bays (capacity lowered since). */
  lane: number
  startMinute: number
  endMinute: number
}

export interface BookingLayout {
  /** The rows' times, every slot from the first to the last (minutes after midnight). */
  rows: number[]
  slotMinutes: number
  lanes: number
  placed: PlacedBooking[]
  /** Cancelled and no-show bookings: they hold no bay. */
  released: Booking[]
  hours: { opens: number; closes: number } | null
}

export function layoutBookings(bookings: Booking[], store: Pick<Store, 'bays' | 'slot_minutes' | 'opening_hours' | 'closed_dates'>, day: string): BookingLayout {
  const slot = store.slot_minutes > 0 ? store.slot_minutes : 30
  const hours = openingOn(store, day)
  const holding = bookings
    .filter((b) => HOLDS_A_BAY.includes(b.status))
    .map((booking) => ({ booking, startMinute: wallMinutes(booking.start, day), endMinute: wallMinutes(booking.end, day) }))
    .sort((a, b) => a.startMinute - b.startMinute || a.booking.id - b.booking.id)
  // Real bays first (columns 0..bays-1), then extra columns only when more bookings overlap than bays.
  const laneEnds: number[] = Array.from({ length: Math.max(1, store.bays) }, () => -Infinity)
  const placed: PlacedBooking[] = holding.map((item) => {
    let lane = laneEnds.findIndex((end) => end <= item.startMinute)
    if (lane < 0) lane = laneEnds.push(-Infinity) - 1
    laneEnds[lane] = item.endMinute
    return { ...item, lane }
  })
  const starts = placed.map((p) => p.startMinute)
  const ends = placed.map((p) => p.endMinute)
  let first = Math.min(hours?.opens ?? Infinity, ...starts)
  let last = Math.max(hours?.closes ?? -Infinity, ...ends)
  const rows: number[] = []
  if (Number.isFinite(first) && Number.isFinite(last)) {
    first = Math.floor(first / slot) * slot
    last = Math.ceil(last / slot) * slot
    for (let minute = first; minute < last; minute += slot) rows.push(minute)
  }
  return {
    rows,
    slotMinutes: slot,
    lanes: laneEnds.length,
    placed,
    released: bookings.filter((b) => !HOLDS_A_BAY.includes(b.status)),
    hours,
  }
}

/** The 1-based CSS grid rows a booking spans (row 1 is the bays' header). */
export function gridRows(placed: Pick<PlacedBooking, 'startMinute' | 'endMinute'>, layout: Pick<BookingLayout, 'rows' | 'slotMinutes'>): { start: number; end: number } {
  const first = layout.rows[0] ?? 0
  const start = Math.floor((placed.startMinute - first) / layout.slotMinutes)
  const end = Math.max(start + 1, Math.ceil((placed.endMinute - first) / layout.slotMinutes))
  return { start: start + 2, end: end + 2 }
}

/** Today's date (YYYY-MM-DD) in the merchant's timezone. */
export function todayIn(timeZone: string, now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

/** Minutes after midnight now, on the merchant's clock. */
export function minutesNowIn(timeZone: string, now = new Date()): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now)
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0)
  return get('hour') * 60 + get('minute')
}

/** `day` moved by `days` (YYYY-MM-DD, calendar arithmetic). */
export function shiftDay(day: string, days: number): string {
  const date = new Date(`${day}T00:00:00Z`)
  date.setUTCDate(date.getUTCDate() + days)
  return date.toISOString().slice(0, 10)
}
