// Data the work-order and checkout tests set up through the API, each test its own: a fresh plate
// and phone, catalog items named for the test, a member with stored value, a package card and a
// coupon. Figures are read back from the API, never assumed.
import type { APIRequestContext, Page } from '@playwright/test'
import { staffApi, staffSession } from './fixtures'

const LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXYZ'

/**
 * Who works the counter in these tests: the service advisor of store 1, who has the cashier's
 * rights. The login tests log cashier1 and cashier2 out everywhere (every token they hold stops
 * working), which would end a session of theirs in the middle of a test running beside them.
 */
export const COUNTER = 'advisor1'

export function digits(count: number): string {
  return Array.from({ length: count }, () => Math.floor(Math.random() * 10)).join('')
}

/** A plate no other test uses: 粤 + a letter + five digits. */
export function newPlate(): string {
  return `粤${LETTERS[Math.floor(Math.random() * LETTERS.length)]}${digits(5)}`
}

export function newPhone(): string {
  return `139${digits(8)}`
}

// City letters of Guangdong plates the demo cars do not use, so a family's fragment is its own.
const CITY_LETTERS = 'ACDEFGHJKLMNPQRSTUVWXYZ'

/** A city letter for a fresh plate. */
export function cityLetter(): string {
  return CITY_LETTERS[Math.floor(Math.random() * CITY_LETTERS.length)]!
}

/** A whole plate the shop has never seen: 粤 + a city letter + five digits. */
export function unseenPlate(): string {
  return `粤${cityLetter()}${digits(5)}`
}

/** Fresh plates sharing a fragment no other car has: `粤X1234` + 1, 2, … */
export function plateFamily() {
  const city = cityLetter()
  const run = digits(4)
  return { fragment: `${city}${run}`, plate: (n: number) => `粤${city}${run}${n}` }
}

export interface CounterMember {
  id: number
  nickname: string
  phone: string
  vehicles: { id: number; plate: string }[]
}

/** A member registered at the counter with one car (a fresh phone number). */
export async function counterMember(request: APIRequestContext, plate: string, nickname = `车主${digits(3)}`): Promise<CounterMember> {
  const cashier = await staffApi(request, COUNTER)
  return cashier.post<CounterMember>('/members', { phone: newPhone(), nickname, plate })
}

/** A short tag that makes a catalog name unique to one test. */
export function newTag(): string {
  return Math.random().toString(36).slice(2, 7)
}

export async function storeOf(request: APIRequestContext, username: string): Promise<number> {
  return (await staffSession(request, username)).staff.store_ids[0] ?? 1
}

export interface Item {
  id: number
  name: string
  price_fen: number
}

/** A service item only this test searches for (created by the owner). */
export async function newServiceItem(request: APIRequestContext, name: string, category: string, priceFen: number): Promise<Item> {
  const owner = await staffApi(request, 'owner')
  return owner.post<Item>('/service-items', { name, category, price_fen: priceFen, duration_minutes: 30 })
}

/** Opens a work order at the cashier's store through the API. */
export async function openOrder(request: APIRequestContext, username: string, plate: string, lines: { service_item_id: number; quantity: number }[] = []) {
  const staff = await staffApi(request, username)
  return staff.post<any>('/work-orders', { store_id: await storeOf(request, username), plate, lines })
}

export interface MemberSetup {
  memberId: number
  plate: string
  cardId: number | null
  couponId: number | null
}

/**
 * A member registered at the counter with a car, a stored-value top-up, and optionally a package
 * card of `cardItemId` (5 units) and a 30-yuan cash-off coupon.
 */
export async function newMember(
  request: APIRequestContext,
  options: { topUpFen: number; cardItemId?: number; coupon?: boolean; tag: string },
): Promise<MemberSetup> {
  const cashier = await staffApi(request, COUNTER)
  const owner = await staffApi(request, 'owner')
  const storeId = await storeOf(request, COUNTER)
  const plate = newPlate()
  const member = await cashier.post<{ id: number }>('/members', { phone: newPhone(), nickname: `车主${options.tag}`, plate, store_id: storeId })
  await cashier.post(`/members/${member.id}/topups`, { amount_fen: options.topUpFen, paid_via: 'cash', store_id: storeId })
  let cardId: number | null = null
  if (options.cardItemId !== undefined) {
    const template = await owner.post<{ id: number }>('/package-card-templates', {
      name: `洗车卡${options.tag}`,
      price_fen: 20000,
      valid_days: 365,
      items: [{ service_item_id: options.cardItemId, count: 5 }],
    })
    cardId = (await cashier.post<{ id: number }>(`/members/${member.id}/package-cards`, { template_id: template.id, paid_via: 'cash', store_id: storeId })).id
  }
  let couponId: number | null = null
  if (options.coupon) {
    const template = await owner.post<{ id: number }>('/coupon-templates', {
      name: `立减30元${options.tag}`,
      kind: 'cash_off',
      value_fen: 3000,
      threshold_fen: 0,
      valid_days: 30,
      claimable: false,
    })
    couponId = (await owner.post<{ id: number }>(`/members/${member.id}/coupons`, { template_id: template.id })).id
  }
  return { memberId: member.id, plate, cardId, couponId }
}

/** Replaces window.print with a counter, so a test can tell the receipt printed (and how often). */
export async function countPrints(page: Page) {
  await page.addInitScript(() => {
    const w = window as unknown as { __prints: number; print: () => void }
    w.__prints = 0
    w.print = () => {
      w.__prints += 1
    }
  })
}

export async function printsOf(page: Page): Promise<number> {
  return page.evaluate(() => (window as unknown as { __prints: number }).__prints)
}
