// 月卡/年卡: the owner defines a monthly wash card in 卡券与方案, the counter sells it on the car's
// page, and at checkout the card pays for the wash — the value is the quote's, and the second
// wash of the day is refused by the daily cap the server keeps.
import { chooseOption, expect, signIn, staffApi, staffSession, test } from './fixtures'
import { COUNTER, newMember, newPlate, newServiceItem, newTag, openOrder } from './shop'
import { yuan } from '../src/utils/money'

test('the owner defines a monthly wash card, the counter sells it, and checkout uses it within the daily cap', async ({ page, request }) => {
  test.setTimeout(120_000)
  const tag = newTag()
  const wash = await newServiceItem(request, `精洗${tag}`, 'wash', 5000)
  const member = await newMember(request, { topUpFen: 10000, tag })
  const cashier = await staffApi(request, COUNTER)
  const vehicleId = (await cashier.get(`/members/${member.memberId}`)).vehicles[0].id as number

  // The owner: 卡券与方案 → 月卡/年卡 → 新建.
  await signIn(page, request, 'owner', '/console/templates')
  await page.getByRole('tab', { name: '月卡/年卡' }).click()
  await page.getByTestId('period-template-new').click()
  const form = page.getByRole('dialog', { name: '新建月卡/年卡' })
  await form.getByRole('textbox', { name: '名称' }).fill(`洗车月卡${tag}`)
  await form.getByRole('textbox', { name: '售价' }).fill('300')
  await chooseOption(page, form.getByTestId('period-template-items'), wash.name)
  await form.getByRole('heading', { name: '新建月卡/年卡' }).click() // closes the multi-select's dropdown
  await form.getByTestId('period-template-save').click()
  await expect(page.getByTestId('period-template-list')).toContainText(`洗车月卡${tag}`)
  const owner = await staffApi(request, 'owner')
  const templates = (await owner.get('/period-card-templates?per_page=100')).items as { id: number; name: string; price_fen: number; daily_cap: number; per_vehicle: boolean }[]
  const template = templates.find((t) => t.name === `洗车月卡${tag}`)!
  expect([template.price_fen, template.daily_cap, template.per_vehicle]).toEqual([30000, 1, true])

  // The counter: the car's page → 办月卡/年卡, paid in cash.
  const counter = await page.context().browser()!.newContext()
  const desk = await counter.newPage()
  await signIn(desk, request, COUNTER, `/console/cars/${vehicleId}`)
  await expect(desk.getByTestId('period-card-card')).toContainText('没有可用于此车的月卡/年卡')
  await desk.getByTestId('period-card-sell').click()
  await chooseOption(desk, desk.getByTestId('period-card-template'), new RegExp(`洗车月卡${tag}`))
  await expect(desk.getByTestId('period-card-price')).toHaveText(yuan(30000))
  await desk.getByTestId('period-card-confirm').click()
  await expect(desk.getByTestId('period-card')).toContainText(`洗车月卡${tag}`)
  await expect(desk.getByTestId('period-card-left')).toHaveText('今日剩余 1 次')
  const cards = (await cashier.get(`/members/${member.memberId}/period-cards`)).items as { id: number; vehicle_id: number; paid_via: string }[]
  expect(cards.map((c) => [c.vehicle_id, c.paid_via])).toEqual([[vehicleId, 'cash']])
  const cardId = cards[0]!.id

  // Checkout: the card's row, valued by the quote; Enter settles.
  const first = await openOrder(request, COUNTER, member.plate, [{ service_item_id: wash.id, quantity: 1 }])
  await desk.goto(`/console/work-orders/${first.id}/checkout`)
  const row = desk.getByTestId('period-card-rows')
  await expect(row).toContainText('今日剩余 1 次（每日 1 次）')
  await desk.getByTestId(`use-period-card-${cardId}-${wash.id}`).click()
  await expect(desk.getByTestId(`period-card-value-${cardId}-${wash.id}`)).toHaveText(`抵 ${yuan(5000)}`)
  await expect(desk.getByTestId('remaining')).toHaveText(yuan(0))
  await desk.getByTestId('checkout-page').press('Enter')
  await expect(desk).toHaveURL(/\/receipt$/)
  const order = await cashier.get(`/work-orders/${first.id}`)
  expect(order.status).toBe('settled')
  expect(order.payments.map((p: { type: string; amount_fen: number }) => [p.type, p.amount_fen])).toEqual([['period_card', 5000]])

  // A second wash the same day: nothing left today, so the row cannot be used.
  const second = await openOrder(request, COUNTER, member.plate, [{ service_item_id: wash.id, quantity: 1 }])
  await desk.goto(`/console/work-orders/${second.id}/checkout`)
  await expect(desk.getByTestId('period-card-rows')).toContainText('今日剩余 0 次')
  await expect(desk.getByTestId(`use-period-card-${cardId}-${wash.id}`)).toBeDisabled()
  const refused = await request.post(`/api/v1/work-orders/${second.id}/quote`, {
    headers: { Authorization: `Bearer ${(await staffSession(request, COUNTER)).token}` },
    data: { tenders: [{ type: 'period_card', card_id: cardId, service_item_id: wash.id }] },
  })
  expect(refused.status()).toBe(409)
  expect((await refused.json()).error.code).toBe('period_card_daily_cap_reached')
  await counter.close()
})

test('staff see the cards a member bought in the mini-program, and where a refund stands', async ({ page, request }) => {
  const tag = newTag()
  const wash = await newServiceItem(request, `精洗${tag}`, 'wash', 5000)
  const owner = await staffApi(request, 'owner')
  const template = await owner.post<{ id: number }>('/package-card-templates', { name: `洗车5次卡${tag}`, price_fen: 20000, valid_days: 365, items: [{ service_item_id: wash.id, count: 5 }] })
  // A car owner in the mini-program (fake WeChat: the code is the identity) with a car, who buys the card and returns it.
  const login = await request.post('/api/v1/auth/wechat/login', { data: { code: `buyer-${tag}` } })
  expect(login.ok()).toBeTruthy()
  const headers = { Authorization: `Bearer ${(await login.json()).token}` }
  const car = await request.post('/api/v1/me/vehicles', { headers, data: { plate: newPlate(), mileage_km: 1000 } })
  expect(car.ok(), await car.text()).toBeTruthy()
  const vehicleId = (await car.json()).id as number
  const bought = await request.post('/api/v1/me/card-purchases', { headers: { ...headers, 'Idempotency-Key': crypto.randomUUID() }, data: { kind: 'package', template_id: template.id } })
  expect(bought.ok(), await bought.text()).toBeTruthy()
  const started = await bought.json()
  expect((await request.post(`/api/v1/dev/payments/${started.payment.out_trade_no}/confirm`)).ok()).toBeTruthy()
  const returned = await request.post(`/api/v1/me/card-purchases/${started.purchase.id}/refund`, { headers: { ...headers, 'Idempotency-Key': crypto.randomUUID() } })
  expect(returned.ok(), await returned.text()).toBeTruthy()

  await signIn(page, request, COUNTER, `/console/cars/${vehicleId}`)
  await page.getByTestId('card-purchases-open').click()
  const dialog = page.getByTestId('card-purchases-dialog')
  await expect(dialog.getByTestId('card-purchases')).toContainText(`洗车5次卡${tag}`)
  await expect(dialog.getByTestId('card-purchases')).toContainText(yuan(20000))
  await expect(dialog.getByTestId(`purchase-status-${started.purchase.id}`)).toHaveText('已退卡')
  await expect(dialog.getByTestId(`purchase-refund-${started.purchase.id}`)).toHaveText('退款待发起')
  // Esc closes the list and leaves the car's page where it was.
  await page.keyboard.press('Escape')
  await expect(dialog).toBeHidden()
  await expect(page).toHaveURL(new RegExp(`/console/cars/${vehicleId}$`))
})
