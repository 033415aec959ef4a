// The counter: a cashier finds a car by however its plate is typed, by the member's phone, moves
// through the answer with the keyboard and opens the car (whose figures are the service's), or
// opens a work order for a car the shop has never seen. How fast it answers is
// console/bench/counter.bench.ts's to measure.
import type { Page } from '@playwright/test'
import { yuan } from '../src/utils/money'
import { expect, signIn, staffApi, test } from './fixtures'
import { COUNTER as STAFF, cityLetter, counterMember as newMember, digits, plateFamily } from './shop'

const toFullWidth = (text: string) => text.replace(/[0-9A-Za-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))

const search = (page: Page) => page.getByTestId('counter-search')
const hit = (page: Page, plate: string) => page.locator(`[data-testid="counter-results"] [data-plate="${plate}"]`)

test('a car is found by its plate typed in lower case, full width or with a dot', async ({ page, request }) => {
  const family = plateFamily()
  const plate = family.plate(1)
  const member = await newMember(request, plate, '张测试')
  await signIn(page, request, STAFF, '/console/counter')
  await expect(search(page)).toBeFocused()

  for (const typed of [family.fragment.toLowerCase(), toFullWidth(family.fragment.toLowerCase()), `粤${family.fragment[0]!.toLowerCase()}·${family.fragment.slice(1)}`]) {
    await search(page).fill('')
    await search(page).pressSequentially(typed)
    await expect(hit(page, plate), `typed ${typed}`).toBeVisible()
    await expect(hit(page, plate)).toContainText(`${plate.slice(0, 2)}·${plate.slice(2)}`)
    await expect(hit(page, plate)).toContainText(member.nickname)
  }
  // The province picker puts the first character in and gives the field back.
  await search(page).fill(family.fragment.toLowerCase())
  await page.getByTestId('province-picker').getByTestId('province-粤').click()
  await expect(search(page)).toHaveValue(`粤${family.fragment.toLowerCase()}`)
  await expect(search(page)).toBeFocused()
  await expect(hit(page, plate)).toBeVisible()
})

test('a phone number finds the member and shows their car', async ({ page, request }) => {
  const plate = plateFamily().plate(7)
  const member = await newMember(request, plate, '李电话')
  // Phone numbers never travel in a URL.
  const urls: string[] = []
  page.on('request', (sent) => urls.push(sent.url()))
  await signIn(page, request, STAFF, '/console/counter')
  // Keys typed (or scanned) while nothing has the focus land in the search field.
  await page.getByRole('heading', { name: '收银台' }).click()
  await expect(search(page)).not.toBeFocused()
  await page.keyboard.type(member.phone)
  await expect(search(page)).toHaveValue(member.phone)
  await expect(hit(page, plate)).toBeVisible()
  await expect(hit(page, plate)).toContainText('李电话')
  expect(urls.filter((url) => url.includes(member.phone))).toEqual([])

  // The last digits of the number are enough.
  await search(page).fill(member.phone.slice(-6))
  await expect(hit(page, plate)).toBeVisible()
})

test('arrow keys and Enter open the car, whose stored value and points are the service’s', async ({ page, request }) => {
  const family = plateFamily()
  await newMember(request, family.plate(1))
  const member = await newMember(request, family.plate(2), '王储值')
  const cashier = await staffApi(request, STAFF)
  const plans = await cashier.get<{ items: { id: number; pay_fen: number; bonus_fen: number }[] }>('/topup-plans')
  const plan = plans.items.find((p) => p.bonus_fen > 0)!
  await cashier.post(`/members/${member.id}/topups`, { amount_fen: plan.pay_fen, plan_id: plan.id, paid_via: 'cash' })

  await signIn(page, request, STAFF, '/console/counter')
  await search(page).pressSequentially(family.fragment.toLowerCase())
  const rows = page.locator('[data-testid="counter-results"] [role="option"]')
  await expect(rows).toHaveCount(2)
  await expect(rows.nth(0)).toHaveAttribute('aria-selected', 'true')
  await page.keyboard.press('ArrowDown')
  await expect(rows.nth(1)).toHaveAttribute('aria-selected', 'true')
  await page.keyboard.press('ArrowUp')
  await expect(rows.nth(0)).toHaveAttribute('aria-selected', 'true')
  await page.keyboard.press('ArrowDown')
  await page.keyboard.press('Enter')

  await expect(page).toHaveURL(new RegExp(`/console/cars/${member.vehicles[0]!.id}$`))
  await expect(page.getByTestId('vehicle-plate')).toHaveText(`${family.plate(2).slice(0, 2)}·${family.plate(2).slice(2)}`)
  await expect(page.getByTestId('member-name')).toHaveText('王储值')
  const wallet = await cashier.get<{ balance_fen: number; principal_fen: number; bonus_fen: number; points: number }>(`/members/${member.id}/wallet`)
  expect(wallet.bonus_fen).toBe(plan.bonus_fen)
  await expect(page.getByTestId('wallet-balance')).toHaveText(yuan(wallet.balance_fen))
  await expect(page.getByTestId('wallet-principal')).toHaveText(yuan(wallet.principal_fen))
  await expect(page.getByTestId('wallet-bonus')).toHaveText(yuan(wallet.bonus_fen))
  await expect(page.getByTestId('wallet-points')).toHaveText(String(wallet.points))
  await expect(page.getByTestId('topup-link')).toHaveAttribute('href', `/console/members/${member.id}/topup`)
  await expect(page.getByTestId('member-lifecycle')).toHaveText('新客')
  await expect(page.getByTestId('other-cars')).toContainText('没有其他车辆')
})

test('a new whole plate and Enter open a walk-in work order; the car page then offers to continue it', async ({ page, request }) => {
  const city = cityLetter()
  const rest = digits(5)
  const plate = `粤${city}${rest}`
  await signIn(page, request, STAFF, '/console/counter')
  await page.getByTestId('province-粤').click()
  await search(page).pressSequentially(`${city.toLowerCase()}·${rest}`)
  await page.keyboard.press('Enter')

  await expect(page).toHaveURL(/\/console\/work-orders\/\d+$/)
  const orderId = Number(/work-orders\/(\d+)/.exec(page.url())![1])
  const cashier = await staffApi(request, STAFF)
  const order = await cashier.get<{ plate: string; member_id: number | null; vehicle_id: number; number: string; status: string }>(`/work-orders/${orderId}`)
  expect(order).toMatchObject({ plate, member_id: null, status: 'open' })

  // The walk-in car has no member; its open order is offered before a second one is opened.
  await page.goto(`/console/cars/${order.vehicle_id}`)
  await expect(page.getByTestId('no-member')).toBeVisible()
  await expect(page.getByTestId('unsettled-order')).toContainText(order.number)
  await expect(page.getByTestId('recent-visit')).toHaveCount(1)
  await page.keyboard.press('F2')
  await expect(page.getByRole('dialog')).toContainText(order.number)
  await page.getByRole('dialog').getByRole('button', { name: '继续该工单' }).click()
  await expect(page).toHaveURL(new RegExp(`/console/work-orders/${orderId}$`))
})

test('typed key by key at a cashier’s pace, the list ends as the whole fragment’s answer, never a shorter one’s', async ({ page, request }) => {
  const family = plateFamily()
  await newMember(request, family.plate(1))
  await newMember(request, family.plate(2))
  await signIn(page, request, STAFF, '/console/counter')
  await expect(search(page)).toBeFocused()
  const rows = page.locator('[data-testid="counter-results"] [role="option"]')
  // Every prefix up to the fragment matches both cars; the last key leaves only the second.
  for (const delay of [120, 40]) {
    await page.keyboard.press('Escape')
    await search(page).pressSequentially(family.plate(2).slice(1).toLowerCase(), { delay })
    await expect(hit(page, family.plate(2))).toBeVisible()
    await expect(rows).toHaveCount(1)
    await expect(rows.nth(0)).toHaveAttribute('aria-selected', 'true')
  }
  // Keys typed back out widen the answer again.
  await page.keyboard.press('Backspace')
  await expect(rows).toHaveCount(2)
})
