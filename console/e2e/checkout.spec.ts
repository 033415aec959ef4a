import type { APIRequestContext, Page } from '@playwright/test'
import { ActionCounter, expect, signIn, staffApi, test } from './fixtures'
import { COUNTER, countPrints, newMember, newServiceItem, newTag, openOrder, printsOf, type MemberSetup } from './shop'
import { yuan } from '../src/utils/money'

type Payment = { type: string; amount_fen: number; member_coupon_id: number | null; card_id: number | null }

/** A member's maintenance: an oil change and a wash, a card with washes, a coupon, stored value. */
async function maintenanceSetup(request: APIRequestContext) {
  const tag = newTag()
  const oil = await newServiceItem(request, `小保养${tag}`, 'maintenance', 39800)
  const wash = await newServiceItem(request, `精洗${tag}`, 'wash', 5000)
  const member = await newMember(request, { topUpFen: 100000, cardItemId: wash.id, coupon: true, tag })
  return { oil, wash, member }
}

/** From the open order to the printed receipt: the lines, F8, card, coupon, stored value, Enter. */
async function payMaintenance(page: Page, actions: ActionCounter, setup: Awaited<ReturnType<typeof maintenanceSetup>>) {
  const { oil, wash, member } = setup
  await actions.type('[data-testid=catalog-search]', oil.name)
  await actions.press('Enter')
  await expect(page.getByTestId('wo-lines')).toContainText(oil.name)
  await actions.type('[data-testid=catalog-search]', wash.name)
  await actions.press('Enter')
  await expect(page.getByTestId('wo-lines')).toContainText(wash.name)
  await actions.press('F8')
  await expect(page).toHaveURL(/\/checkout$/)
  await actions.click(`[data-testid=use-card-${member.cardId}-${wash.id}]`)
  await actions.click(`[data-testid=use-coupon-${member.couponId}]`)
  await actions.click('[data-testid=fill-stored_value]')
  await expect(page.getByTestId('remaining')).toHaveText(yuan(0))
  await actions.press('Enter')
  await expect(page).toHaveURL(/\/receipt$/)
}

/** After the settle: the wallet, the coupon and the card as the API has them equal the receipt. */
async function expectBalancesMatch(page: Page, request: APIRequestContext, member: MemberSetup, washId: number, walletBefore: number) {
  const cashier = await staffApi(request, COUNTER)
  const orderId = Number(/work-orders\/(\d+)/.exec(page.url())?.[1])
  const order = await cashier.get(`/work-orders/${orderId}`)
  expect(order.status).toBe('settled')
  const payments = order.payments as Payment[]
  expect(payments.map((p) => p.type).sort()).toEqual(['coupon', 'package_card', 'stored_value'])
  const storedValue = payments.find((p) => p.type === 'stored_value')!

  const receipt = await cashier.get(`/work-orders/${orderId}/receipt`)
  const wallet = await cashier.get(`/members/${member.memberId}/wallet`)
  expect(walletBefore - wallet.balance_fen).toBe(storedValue.amount_fen)
  expect(receipt.balances.stored_value_fen).toBe(wallet.balance_fen)
  await expect(page.getByTestId('receipt-balance')).toHaveText(yuan(wallet.balance_fen))
  await expect(page.getByTestId('receipt-points')).toHaveText(String(wallet.points))
  await expect(page.getByTestId('receipt-tender-stored_value')).toContainText(yuan(storedValue.amount_fen))

  const coupons = await cashier.get(`/members/${member.memberId}/coupons`)
  expect(coupons.items.find((c: { id: number }) => c.id === member.couponId).status).toBe('used')
  await expect(page.getByTestId('receipt-tender-coupon')).toContainText(yuan(payments.find((p) => p.type === 'coupon')!.amount_fen))

  const cards = await cashier.get(`/members/${member.memberId}/package-cards`)
  const item = cards.items.find((c: { id: number }) => c.id === member.cardId).items.find((i: { service_item_id: number }) => i.service_item_id === washId)
  expect(item.remaining).toBe(4)
  const printedCard = receipt.balances.cards.find((c: { card_id: number }) => c.card_id === member.cardId).items[0]
  expect(printedCard.remaining).toBe(item.remaining)
  await expect(page.getByTestId(`receipt-card-${member.cardId}-${washId}`)).toContainText(`剩余 ${item.remaining} 次`)
  await expect(page.getByTestId('receipt-total')).toHaveText(yuan(order.total_fen))
}

// Starts at the counter: the contract with the counter and car screens is data-testid="counter-search"
// (a known plate fragment + Enter lands on /console/cars/<id>) and data-testid="open-work-order".
test("a member's maintenance paid with stored value, a coupon and a card item: from the counter in at most 12 actions", async ({ page, request }) => {
  const setup = await maintenanceSetup(request)
  const walletBefore = (await (await staffApi(request, COUNTER)).get(`/members/${setup.member.memberId}/wallet`)).balance_fen
  await countPrints(page)
  await signIn(page, request, COUNTER, '/console/counter')
  const actions = new ActionCounter(page)

  await actions.type('[data-testid=counter-search]', setup.member.plate.slice(2))
  await actions.press('Enter')
  await expect(page).toHaveURL(/\/console\/cars\/\d+$/)
  await actions.click('[data-testid=open-work-order]')
  await expect(page).toHaveURL(/\/console\/work-orders\/\d+$/)
  await payMaintenance(page, actions, setup)

  expect(actions.count).toBeLessThanOrEqual(12)
  await expect.poll(() => printsOf(page)).toBe(1)
  await expectBalancesMatch(page, request, setup.member, setup.wash.id, walletBefore)
})

test("a member's maintenance paid with stored value, a coupon and a card item: from the opened order", async ({ page, request }) => {
  const setup = await maintenanceSetup(request)
  const walletBefore = (await (await staffApi(request, COUNTER)).get(`/members/${setup.member.memberId}/wallet`)).balance_fen
  const opened = await openOrder(request, COUNTER, setup.member.plate)
  expect(opened.member_id).toBe(setup.member.memberId)
  await countPrints(page)
  await signIn(page, request, COUNTER, `/console/work-orders/${opened.id}`)
  const actions = new ActionCounter(page)

  await payMaintenance(page, actions, setup)

  expect(actions.count).toBeLessThanOrEqual(9)
  await expect.poll(() => printsOf(page)).toBe(1)
  await expectBalancesMatch(page, request, setup.member, setup.wash.id, walletBefore)
})

test('insufficient balance is shown in Chinese and nothing changes', async ({ page, request }) => {
  const tag = newTag()
  const wash = await newServiceItem(request, `精洗${tag}`, 'wash', 5000)
  const member = await newMember(request, { topUpFen: 6000, tag })
  const cashier = await staffApi(request, COUNTER)
  const order = await openOrder(request, COUNTER, member.plate, [{ service_item_id: wash.id, quantity: 1 }])
  const other = await openOrder(request, COUNTER, member.plate, [{ service_item_id: wash.id, quantity: 1 }])
  await signIn(page, request, COUNTER, `/console/work-orders/${order.id}/checkout`)

  await page.getByTestId('fill-stored_value').click()
  await expect(page.getByTestId('tender-stored_value')).toHaveValue('50.00')
  await expect(page.getByTestId('remaining')).toHaveText(yuan(0))

  // Meanwhile the member's balance is spent at another counter.
  await cashier.post(`/work-orders/${other.id}/settle`, { tenders: [{ type: 'stored_value', amount_fen: other.total_fen }] })
  const walletBefore = await cashier.get(`/members/${member.memberId}/wallet`)

  await page.getByTestId('settle').click()
  await expect(page.getByRole('alert').filter({ hasText: '储值余额不足' })).toBeVisible()
  await expect(page).toHaveURL(/\/checkout$/)
  // The screen now shows the balance the server has, and the row says it is short.
  await expect(page.getByTestId('tender-error-stored_value')).toHaveText('超过储值余额')
  await expect(page.getByTestId('settle')).toBeDisabled()

  const walletAfter = await cashier.get(`/members/${member.memberId}/wallet`)
  expect(walletAfter.balance_fen).toBe(walletBefore.balance_fen)
  const unchanged = await cashier.get(`/work-orders/${order.id}`)
  expect(unchanged.status).toBe('open')
  expect(unchanged.payments).toEqual([])
  expect(unchanged.total_fen).toBe(order.total_fen)
})

test('a network failure after the settle reached the server is retried without a double charge', async ({ page, request }) => {
  const tag = newTag()
  const wash = await newServiceItem(request, `精洗${tag}`, 'wash', 5000)
  const member = await newMember(request, { topUpFen: 10000, tag })
  const cashier = await staffApi(request, COUNTER)
  const order = await openOrder(request, COUNTER, member.plate, [{ service_item_id: wash.id, quantity: 1 }])
  const walletBefore = await cashier.get(`/members/${member.memberId}/wallet`)
  await countPrints(page)

  const keys: string[] = []
  await page.route(`**/api/v1/work-orders/${order.id}/settle`, async (route) => {
    keys.push(route.request().headers()['idempotency-key'] ?? '')
    if (keys.length === 1) {
      // The service settles the order; the answer never reaches the console.
      await route.fetch()
      await route.abort('connectionreset')
    } else {
      await route.continue()
    }
  })
  await signIn(page, request, COUNTER, `/console/work-orders/${order.id}/checkout`)
  await page.getByTestId('fill-stored_value').click()
  await expect(page.getByTestId('remaining')).toHaveText(yuan(0))
  await page.getByTestId('settle').click()

  await expect(page.getByRole('dialog')).toContainText('重试不会重复扣款')
  await page.getByRole('button', { name: '重试' }).click()
  await expect(page).toHaveURL(/\/receipt$/)
  await expect.poll(() => printsOf(page)).toBe(1)

  expect(keys).toHaveLength(2)
  expect(keys[0]).not.toBe('')
  expect(keys[1]).toBe(keys[0])
  const settled = await cashier.get(`/work-orders/${order.id}`)
  expect(settled.status).toBe('settled')
  expect(settled.payments.map((p: Payment) => [p.type, p.amount_fen])).toEqual([['stored_value', settled.total_fen]])
  const walletAfter = await cashier.get(`/members/${member.memberId}/wallet`)
  expect(walletBefore.balance_fen - walletAfter.balance_fen).toBe(settled.total_fen)
  const entries = await cashier.get(`/members/${member.memberId}/wallet/entries`)
  const spends = entries.items.filter((e: { kind: string; ref_id: number | null }) => e.kind === 'spend' && e.ref_id === order.id)
  expect(spends).toHaveLength(1)
  await expect(page.getByTestId('receipt-balance')).toHaveText(yuan(walletAfter.balance_fen))
})
