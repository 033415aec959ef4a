// The counter's money and stock screens against the real service: a top-up with a plan, a refund
// by the owner, the shift close matching the day's till, stock received and counted. Every figure
// the screen shows is checked against what the API answers.
import { expect, signIn, staffApi, staffSession, test } from './fixtures'
import { yuan } from '../src/utils/money'

const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('')
const freshPhone = () => `139${digits(8)}`
const freshPlate = () => `粤B${digits(5)}`

type Wallet = { balance_fen: number; principal_fen: number; bonus_fen: number; points: number }

test('a cashier tops up a member with a plan by keyboard; the balances shown are the API’s, principal and bonus apart', async ({ page, request }) => {
  const cashier = await staffApi(request, 'cashier1')
  const member = await cashier.post<{ id: number }>('/members', { phone: freshPhone(), nickname: '充值测试' })
  await signIn(page, request, 'cashier1', `/console/members/${member.id}/topup`)
  await expect(page.getByTestId('topup-member-name')).toHaveText('充值测试')
  await expect(page.getByTestId('wallet-before-principal')).toHaveText(yuan(0))

  // Digit keys pick the plans in the order shown; take the second card (or the only one) and read its plan from the API.
  const cards = await page.getByTestId('topup-plans').locator('[data-testid^="topup-plan-"]').evaluateAll((els) => els.map((el) => el.getAttribute('data-testid')!))
  const index = Math.min(1, cards.length - 1)
  expect(index).toBeGreaterThanOrEqual(0)
  const plans = (await cashier.get<{ items: { id: number; pay_fen: number; bonus_fen: number }[] }>('/topup-plans?per_page=100')).items
  const plan = plans.find((candidate) => `topup-plan-${candidate.id}` === cards[index])!
  expect(plan).toBeDefined()
  await page.keyboard.press(String(index + 1))
  await expect(page.getByTestId(`topup-plan-${plan.id}`)).toHaveAttribute('aria-pressed', 'true')
  await page.keyboard.press('w')
  await expect(page.getByTestId('topup-paid-via-wechat')).toHaveClass(/is-active/)
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('topup-done')).toBeVisible()

  const wallet = await cashier.get<Wallet>(`/members/${member.id}/wallet`)
  expect(wallet.principal_fen).toBe(plan.pay_fen)
  expect(wallet.bonus_fen).toBe(plan.bonus_fen)
  await expect(page.getByTestId('topup-credited-principal')).toHaveText(yuan(plan.pay_fen))
  await expect(page.getByTestId('topup-credited-bonus')).toHaveText(yuan(plan.bonus_fen))
  await expect(page.getByTestId('wallet-after-principal')).toHaveText(yuan(wallet.principal_fen))
  await expect(page.getByTestId('wallet-after-bonus')).toHaveText(yuan(wallet.bonus_fen))
  await expect(page.getByTestId('wallet-after-balance')).toHaveText(yuan(wallet.balance_fen))
  await expect(page.getByTestId('wallet-after-points')).toHaveText(String(wallet.points))
  const entries = await cashier.get<{ items: { kind: string; paid_via: string | null }[] }>(`/members/${member.id}/wallet/entries`)
  expect(entries.items.map((entry) => [entry.kind, entry.paid_via])).toEqual([['topup', 'wechat']])
})

test('a top-up of an amount typed in yuan asks for the payment method first, then credits what the service says', async ({ page, request }) => {
  const cashier = await staffApi(request, 'cashier1')
  const member = await cashier.post<{ id: number }>('/members', { phone: freshPhone(), nickname: '自定义充值' })
  await signIn(page, request, 'cashier1', `/console/members/${member.id}/topup`)
  await expect(page.getByTestId('topup-member-name')).toHaveText('自定义充值')
  await page.keyboard.press('0')
  await expect(page.getByTestId('topup-amount')).toBeFocused()
  await page.keyboard.type('123.45')
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('topup-error')).toHaveText('请选择支付方式')
  await page.getByTestId('topup-paid-via-cash').click()
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('topup-done')).toBeVisible()
  const wallet = await cashier.get<Wallet>(`/members/${member.id}/wallet`)
  expect(wallet.principal_fen).toBe(12345)
  await expect(page.getByTestId('wallet-after-principal')).toHaveText(yuan(wallet.principal_fen))
  await expect(page.getByTestId('wallet-after-bonus')).toHaveText(yuan(wallet.bonus_fen))
})

test('the owner refunds an order paid with stored value; the member’s wallet is back to what it was', async ({ page, request }) => {
  const cashier = await staffApi(request, 'cashier1')
  const owner = await staffApi(request, 'owner')
  const plate = freshPlate()
  const member = await cashier.post<{ id: number }>('/members', { phone: freshPhone(), nickname: '退款测试', plate })
  await cashier.post(`/members/${member.id}/topups`, { amount_fen: 50000, paid_via: 'cash' })
  const before = await cashier.get<Wallet>(`/members/${member.id}/wallet`)

  const order = await cashier.post<{ id: number; total_fen: number; store_id: number }>('/work-orders', {
    store_id: 1,
    plate,
    lines: [{ name: '退款测试项目', unit_price_fen: 12345 }],
  })
  await cashier.post(`/work-orders/${order.id}/settle`, { tenders: [{ type: 'stored_value', amount_fen: order.total_fen }] })
  const spent = await cashier.get<Wallet>(`/members/${member.id}/wallet`)
  expect(spent.balance_fen).toBe(before.balance_fen - order.total_fen)

  await signIn(page, request, 'owner', `/console/work-orders/${order.id}/refund`)
  await expect(page.getByTestId('refund-order-status')).toHaveText('已结算')
  await expect(page.getByTestId('refund-total')).toHaveText(yuan(order.total_fen))
  await expect(page.getByTestId('refund-ledgers')).toContainText(`扣储值 ${yuan(order.total_fen)}`)
  await expect(page.getByTestId('wallet-now-balance')).toHaveText(yuan(spent.balance_fen))

  // A reason is required before anything is asked.
  await page.getByTestId('refund-reason').press('Enter')
  await expect(page.getByTestId('refund-reason-error')).toHaveText('请填写退款原因')
  await page.getByTestId('refund-reason').fill('顾客不满意，全单退款')
  await page.getByTestId('refund-reason').press('Enter')
  await expect(page.getByTestId('refund-confirm-ledgers')).toContainText(`退回储值 ${yuan(order.total_fen)}`)
  await page.getByTestId('refund-confirm').click()

  await expect(page.getByTestId('refund-done')).toContainText('退款成功')
  await expect(page.getByTestId('refund-order-status')).toHaveText('已退款')
  const after = await owner.get<Wallet>(`/members/${member.id}/wallet`)
  expect({ ...after, tier: undefined, next_points_expiry: undefined }).toEqual({ ...before, tier: undefined, next_points_expiry: undefined })
  await expect(page.getByTestId('wallet-after-balance')).toHaveText(yuan(after.balance_fen))
  await expect(page.getByTestId('wallet-after-principal')).toHaveText(yuan(after.principal_fen))
  await expect(page.getByTestId('wallet-after-bonus')).toHaveText(yuan(after.bonus_fen))
  await expect(page.getByTestId('wallet-after-points')).toHaveText(String(after.points))
  await expect(page.getByTestId('refund-reversals')).toContainText(`储值退回 ${yuan(order.total_fen)}`)
  const refunded = await owner.get<{ status: string; refund_reason: string }>(`/work-orders/${order.id}`)
  expect(refunded).toMatchObject({ status: 'refunded', refund_reason: '顾客不满意，全单退款' })
})

test('the shift close shows the day’s till as the API has it and the difference the service recorded', async ({ page, request }) => {
  const cashier = await staffApi(request, 'cashier1')
  const { staff } = await staffSession(request, 'cashier1')
  const order = await cashier.post<{ id: number; total_fen: number }>('/work-orders', {
    store_id: 1,
    plate: freshPlate(),
    lines: [{ name: '交班测试洗车', unit_price_fen: 3300 }],
  })
  await cashier.post(`/work-orders/${order.id}/settle`, { tenders: [{ type: 'cash', amount_fen: order.total_fen }] })

  await signIn(page, request, 'cashier1', '/console/shift')
  type Till = { cashiers: { staff_id: number | null; cash_expected_fen: number; taken_fen: Record<string, number> }[] }
  // Other tests use the same cashier meanwhile: compare the screen with the API read just after it.
  await expect(async () => {
    await page.reload()
    const shown = await page.getByTestId('my-till-cash-expected').textContent()
    const till = await cashier.get<Till>('/stores/1/till')
    const mine = till.cashiers.find((row) => row.staff_id === staff.id)!
    expect(mine.taken_fen.cash).toBeGreaterThanOrEqual(order.total_fen)
    expect(shown).toBe(yuan(mine.cash_expected_fen))
  }).toPass({ timeout: 20_000 })
  await expect(page.getByTestId('shift-counted')).toBeFocused()

  await page.getByTestId('shift-counted').fill('88.8')
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('shift-result')).toBeVisible()
  const shift = (await cashier.get<{ items: { id: number; staff_id: number; expected_cash_fen: number; counted_cash_fen: number; difference_fen: number }[] }>('/stores/1/shifts')).items[0]!
  expect(shift.staff_id).toBe(staff.id)
  expect(shift.counted_cash_fen).toBe(8880)
  expect(shift.difference_fen).toBe(shift.counted_cash_fen - shift.expected_cash_fen)
  await expect(page.getByTestId('shift-result-expected')).toHaveText(yuan(shift.expected_cash_fen))
  await expect(page.getByTestId('shift-result-counted')).toHaveText(yuan(8880))
  await expect(page.getByTestId('shift-result-difference')).toContainText(yuan(shift.difference_fen))
  await expect(page.getByTestId(`shift-difference-${shift.id}`)).toContainText(yuan(shift.difference_fen))
})

test('stock received raises the store’s stock as the API shows it, and a stocktake writes the difference', async ({ page, request }) => {
  const owner = await staffApi(request, 'owner')
  const sku = `E2E-${digits(8)}`
  const part = await owner.post<{ id: number }>('/parts', { name: `测试机油${sku}`, sku, price_fen: 8000, stock: 0, store_id: 1, low_stock_threshold: 20 })
  type Movements = { items: { kind: string; delta: number; on_hand_after: number }[] }

  await signIn(page, request, 'cashier1', '/console/stock')
  await expect(page.getByTestId('stock-table')).toBeVisible()
  await page.keyboard.press('2')
  await expect(page.getByTestId('receipt-supplier')).toBeFocused()
  await page.keyboard.type('粤海汽配')
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('receipt-part-0')).toBeFocused()
  await page.keyboard.type(sku.toLowerCase())
  await expect(page.getByTestId(`receipt-part-0-option-${part.id}`)).toBeVisible()
  await page.keyboard.press('Enter')
  await expect(page.getByTestId('receipt-quantity-0')).toBeFocused()
  await page.keyboard.type('12')
  await page.keyboard.press('Enter')
  await page.keyboard.type('45.5')
  await page.keyboard.press('Control+Enter')

  await expect(page.getByTestId('receipt-result')).toBeVisible()
  const received = await owner.get<Movements>(`/parts/${part.id}/movements?store_id=1`)
  expect(received.items[0]).toMatchObject({ kind: 'receive', delta: 12, on_hand_after: 12 })
  await expect(page.getByTestId(`receipt-result-on-hand-${part.id}`)).toHaveText('12')
  await expect(page.getByTestId('receipt-result')).toContainText(yuan(12 * 4550))

  // The store's list shows it, marked low (12 is at or below its threshold of 20).
  await page.getByRole('tab', { name: '库存 (1)' }).click()
  await page.getByTestId('stock-filter').fill(sku)
  await expect(page.getByTestId(`stock-on-hand-${part.id}`)).toHaveText('12')
  await expect(page.getByTestId(`stock-low-${part.id}`)).toBeVisible()

  // Counting it from the list: 10 on the shelf.
  await page.getByTestId(`stock-count-${part.id}`).click()
  await expect(page.getByTestId('stocktake-counted-0')).toBeFocused()
  await page.keyboard.type('10')
  await page.getByTestId('stocktake-reason').fill('月底盘点')
  await page.getByTestId('stocktake-submit').click()
  await expect(page.getByTestId(`stocktake-result-difference-${part.id}`)).toHaveText('-2')
  const counted = await owner.get<Movements>(`/parts/${part.id}/movements?store_id=1`)
  expect(counted.items[0]).toMatchObject({ kind: 'stocktake', delta: -2, on_hand_after: 10 })
})
