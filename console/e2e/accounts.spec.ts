// 挂账 at the counter: an insurer pays the repair on account and the owner pays the deductible in
// cash; the statement shows the order as the API has it, and a repayment clears it. A suspended
// account is refused at the settle. Each test makes its own car, service item and account.
import type { APIRequestContext } from '@playwright/test'
import { expect, signIn, staffApi, test } from './fixtures'
import { COUNTER, newPlate, newServiceItem, newTag, openOrder } from './shop'
import { fenToInput } from '../src/composables/useTenderForm'
import { todayIn } from '../src/utils/bookingBoard'
import { yuan } from '../src/utils/money'

const DEDUCTIBLE_FEN = 30000

/** A walk-in car's order with one repair line, and an insurer account (opened by the owner) allowing that car. */
async function insurerSetup(request: APIRequestContext) {
  const tag = newTag()
  const owner = await staffApi(request, 'owner')
  const item = await newServiceItem(request, `钣喷${tag}`, 'repair', 180000)
  const order = await openOrder(request, COUNTER, newPlate(), [{ service_item_id: item.id, quantity: 1 }])
  const account = await owner.post<{ id: number; name: string }>('/accounts', {
    name: `平安保险${tag}`,
    kind: 'insurer',
    contact_name: '理赔员',
    tax_number: `91440300${tag}`,
    credit_limit_fen: 1000000,
    payment_terms_days: 30,
    vehicle_ids: [order.vehicle_id],
  })
  return { order, account }
}

test('an insurer pays the repair on account, the deductible in cash; the statement shows it and a repayment clears it', async ({ page, request }) => {
  const { order, account } = await insurerSetup(request)
  const counter = await staffApi(request, COUNTER)
  await signIn(page, request, COUNTER, `/console/work-orders/${order.id}/checkout`)

  // The deductible in cash, then 余额 on the 挂账 row takes what the server says remains.
  await expect(page.getByTestId('tender-on-account')).toContainText(account.name)
  await page.getByTestId('tender-cash').fill(fenToInput(DEDUCTIBLE_FEN))
  await expect(page.getByTestId('value-cash')).toHaveText(`抵 ${yuan(DEDUCTIBLE_FEN)}`)
  await page.getByTestId('fill-on_account').click()
  await expect(page.getByTestId('remaining')).toHaveText(yuan(0))
  const quote = await counter.post<{ total_fen: number }>(`/work-orders/${order.id}/quote`, { tenders: [] })
  const chargedFen = quote.total_fen - DEDUCTIBLE_FEN
  await expect(page.getByTestId('on-account-amount')).toHaveValue(fenToInput(chargedFen))
  await expect(page.getByTestId('value-on_account')).toHaveText(`抵 ${yuan(chargedFen)}`)
  await page.getByTestId('settle').click()
  await expect(page).toHaveURL(/\/receipt/)

  const settled = await counter.get(`/work-orders/${order.id}`)
  expect(settled.status).toBe('settled')
  const payments = (settled.payments as { type: string; amount_fen: number }[]).map((p) => [p.type, p.amount_fen]).sort()
  expect(payments).toEqual([['cash', DEDUCTIBLE_FEN], ['on_account', chargedFen]].sort())

  // The statement of today (the merchant's day) as the API gives it, on the account's page.
  const { timezone } = await counter.get('/settings')
  const today = todayIn(timezone)
  const statement = await counter.get(`/accounts/${account.id}/statement?from=${today}&to=${today}`)
  const charge = statement.charges.find((c: { work_order_id: number }) => c.work_order_id === order.id)
  expect(charge.charged_fen).toBe(chargedFen)
  await page.goto(`/console/accounts/${account.id}`)
  await expect(page.getByTestId('account-open')).toHaveText(yuan(chargedFen))
  await page.getByTestId('statement-load').click()
  const row = page.getByTestId(`statement-charge-${settled.number}`)
  await expect(row.getByTestId('statement-charge-amount')).toHaveText(yuan(charge.charged_fen))
  await expect(row).toContainText(yuan(charge.order_total_fen))
  await expect(page.getByTestId('statement-charged')).toHaveText(yuan(statement.charged_fen))

  // 回款 of the whole open amount: the oldest open receivable (this order's) is cleared.
  await page.getByTestId('repayment-amount').fill(fenToInput(chargedFen))
  await page.getByTestId('repayment-submit').click()
  await expect(page.getByTestId('account-open')).toHaveText(yuan(0))
  const after = await counter.get(`/accounts/${account.id}`)
  expect(after.open_fen).toBe(0)
  expect(after.balance_fen).toBe(0)
  await expect(page.getByTestId('statement-repaid')).toHaveText(yuan(chargedFen))
})

test('a suspended account is refused at the settle with its Chinese message', async ({ page, request }) => {
  const { order, account } = await insurerSetup(request)
  const owner = await staffApi(request, 'owner')
  const counter = await staffApi(request, COUNTER)
  await signIn(page, request, COUNTER, `/console/work-orders/${order.id}/checkout`)

  await expect(page.getByTestId('tender-on-account')).toContainText(account.name)
  await page.getByTestId('fill-on_account').click()
  await expect(page.getByTestId('remaining')).toHaveText(yuan(0))

  // Suspended while the cashier is at the checkout: the settle is refused and nothing is charged.
  await owner.post(`/accounts/${account.id}/status`, { status: 'suspended' })
  await page.getByTestId('settle').click()
  await expect(page.getByRole('alert').filter({ hasText: '该挂账客户已停用，不能再挂账' })).toBeVisible()
  await expect(page).toHaveURL(/\/checkout$/)
  expect((await counter.get(`/work-orders/${order.id}`)).status).not.toBe('settled')
  expect((await counter.get(`/accounts/${account.id}`)).balance_fen).toBe(0)

  // The next quote says so too, and a fresh checkout no longer offers the account.
  await page.getByTestId('tender-cash').fill('1')
  await expect(page.getByTestId('quote-error')).toHaveText('该挂账客户已停用，不能再挂账')
  await page.reload()
  await expect(page.getByTestId('remaining')).not.toHaveText('—')
  await expect(page.getByTestId('tender-on-account')).toHaveCount(0)
})
