import type { APIRequestContext } from '@playwright/test'
import { shiftDay, todayIn } from '../src/utils/bookingBoard'
import { expect, signIn, staffApi, staffSession, test } from './fixtures'

// The demo stores have no opening hours: the owner opens store 1 all day, every day, on a
// 10-minute grid, and a 10-minute item makes a start possible until 23:40 (the service refuses
// starts in the past and spans past closing, and closing is at most 23:59 — merchant time).
// Late in the merchant's evening today has no start left, so the bookings go on the first day
// (today or later) whose slots the service still offers; the tests open the board on that day.
const ALL_DAY = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((day) => [day, ['00:00', '23:59']]))
const ITEM = '到店快检'

function freshPlate() {
  const letters = 'ACDEFGHJKLMNPQRSTUVWXYZ'
  return `粤B${letters[Math.floor(Math.random() * letters.length)]}${String(Math.floor(Math.random() * 10000)).padStart(4, '0')}`
}

async function bookableStore(request: APIRequestContext) {
  const owner = await staffApi(request, 'owner')
  const { token } = await staffSession(request, 'owner')
  const patched = await request.patch('/api/v1/stores/1', {
    headers: { Authorization: `Bearer ${token}` },
    data: { bays: 3, slot_minutes: 10, opening_hours: ALL_DAY },
  })
  expect(patched.ok(), await patched.text()).toBeTruthy()
  const items = (await owner.get('/service-items?per_page=100')).items as { id: number; name: string }[]
  let itemId = items.find((i) => i.name === ITEM)?.id
  itemId ??= (await owner.post<{ id: number }>('/service-items', { name: ITEM, category: 'other', price_fen: 0, duration_minutes: 10 })).id
  const { timezone } = await owner.get('/settings')
  return { owner, itemId, timezone: timezone as string }
}

type Slot = { start: string; available: number }

/** The first free slot at least two minutes ahead, today or on one of the next days (merchant time). */
async function firstFreeSlot(owner: Awaited<ReturnType<typeof staffApi>>, itemId: number, timezone: string) {
  const today = todayIn(timezone)
  for (let ahead = 0; ahead < 3; ahead++) {
    const day = shiftDay(today, ahead)
    const slots = (await owner.get(`/stores/1/slots?date=${day}&service_item_id=${itemId}`)).items as Slot[]
    const slot = slots.find((s) => s.available > 0 && Date.parse(s.start) > Date.now() + 120_000)
    if (slot) return { slot, day }
  }
  throw new Error(`no free slot at store 1 from ${today} on for three days`)
}

/** A new member books a car into store 1 at the first free slot (at least two minutes ahead). */
async function memberBooking(request: APIRequestContext) {
  const { owner, itemId, timezone } = await bookableStore(request)
  const { slot, day } = await firstFreeSlot(owner, itemId, timezone)
  const login = await request.post('/api/v1/auth/wechat/login', { data: { code: `booking-${crypto.randomUUID()}` } })
  expect(login.ok(), await login.text()).toBeTruthy()
  const headers = { Authorization: `Bearer ${(await login.json()).token}` }
  const plate = freshPlate()
  const vehicle = await request.post('/api/v1/me/vehicles', { headers, data: { plate, model: '大众 朗逸' } })
  expect(vehicle.status(), await vehicle.text()).toBe(201)
  const booked = await request.post('/api/v1/me/bookings', {
    headers: { ...headers, 'Idempotency-Key': crypto.randomUUID() },
    data: { store_id: 1, vehicle_id: (await vehicle.json()).id, service_item_id: itemId, start: slot.start },
  })
  expect(booked.status(), await booked.text()).toBe(201)
  return { booking: await booked.json(), plate, day, timezone }
}

test('a booking made in the mini-program is in its bay; check-in opens its work order', async ({ page, request }, testInfo) => {
  const { booking, plate, day, timezone } = await memberBooking(request)
  await signIn(page, request, 'advisor1', `/console/bookings?date=${day}`)

  const card = page.getByTestId(new RegExp(`^bay-[123]-booking-${booking.id}$`))
  await expect(card).toBeVisible()
  await expect(card).toContainText(`${plate.slice(0, 2)}·${plate.slice(2)}`)
  await expect(card).toContainText(ITEM)
  await expect(card).toContainText(booking.start.slice(11, 16))
  await expect(page.getByTestId(`booking-status-${booking.id}`)).toHaveText('已预约')
  await expect(page.getByTestId('bay-3')).toHaveText('工位 3')

  // Bookings check in from their own day on: after the day's last start (late in the merchant's
  // evening) the booking is tomorrow's, offers no check-in yet, and the service refuses one.
  if (day !== todayIn(timezone)) {
    await expect(page.getByTestId(`check-in-${booking.id}`)).toHaveCount(0)
    const early = await request.post(`/api/v1/bookings/${booking.id}/check-in`, {
      headers: { Authorization: `Bearer ${(await staffSession(request, 'advisor1')).token}`, 'Idempotency-Key': crypto.randomUUID() },
      data: {},
    })
    expect(early.status(), await early.text()).toBe(409)
    expect((await early.json()).error.code).toBe('check_in_too_early')
    testInfo.annotations.push({ type: 'late evening', description: `no start left today; booked on ${day}, check-in shown refused instead of done` })
    return
  }

  await page.getByTestId(`check-in-${booking.id}`).click()
  await expect(page).toHaveURL(/\/console\/work-orders\/\d+$/)
  const workOrderId = Number(new URL(page.url()).pathname.split('/').pop())

  const advisor = await staffApi(request, 'advisor1')
  const after = await advisor.get(`/bookings/${booking.id}`)
  expect(after.status).toBe('checked_in')
  expect(after.work_order_id).toBe(workOrderId)
  const order = await advisor.get(`/work-orders/${workOrderId}`)
  expect(order.plate).toBe(plate)
  expect(order.booking_id).toBe(booking.id)
})

test('staff cancel a booking with a reason; the date picker shows another day', async ({ page, request }) => {
  const { booking, day, timezone } = await memberBooking(request)
  await signIn(page, request, 'advisor1', `/console/bookings?date=${day}`)
  await expect(page.getByTestId('booking-summary')).toContainText(day)
  await expect(page.getByTestId(`booking-${booking.id}`)).toBeVisible()

  await page.getByTestId(`cancel-${booking.id}`).click()
  await page.getByPlaceholder('如：车主来电取消').fill('车主来电改期')
  await page.getByRole('button', { name: '确认取消' }).click()
  await expect(page.getByTestId('booking-released').getByTestId(`booking-status-${booking.id}`)).toHaveText('已取消')
  const after = await (await staffApi(request, 'advisor1')).get(`/bookings/${booking.id}`)
  expect([after.status, after.cancelled_by, after.cancel_reason]).toEqual(['cancelled', 'staff', '车主来电改期'])

  await page.getByTestId('booking-next-day').click()
  await expect(page).toHaveURL(new RegExp(`date=${shiftDay(day, 1)}`))
  await expect(page.getByTestId(`booking-${booking.id}`)).toHaveCount(0)
  await page.getByTestId('booking-prev-day').click()
  await expect(page.getByTestId('booking-summary')).toContainText(day)
  await expect(page.getByTestId(`booking-${booking.id}`)).toBeVisible()
  // "今天" leaves the day the booking is on only when that day is not today (late in the evening).
  await page.getByTestId('booking-next-day').click()
  await page.getByTestId('booking-today').click()
  await expect(page.getByTestId('booking-summary')).toContainText(todayIn(timezone))
  await expect(page.getByTestId('booking-summary')).toContainText('（今天）')
})
