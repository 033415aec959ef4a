import { ActionCounter, expect, signIn, staffApi, test } from './fixtures'
import { COUNTER, countPrints, newServiceItem, newTag, openOrder, printsOf, storeOf, newPlate } from './shop'
import { yuan } from '../src/utils/money'

// The counter (收银台) and the car page are the counter's own screens; the contract with them:
// typing a whole unknown plate into data-testid="counter-search" and Enter opens a walk-in order
// and lands on /console/work-orders/<id>.
test('a walk-in car wash paid in cash: from the empty counter to the printed receipt in at most 6 actions', async ({ page, request }) => {
  const wash = await newServiceItem(request, `精洗${newTag()}`, 'wash', 5000)
  const plate = newPlate()
  await countPrints(page)
  await signIn(page, request, COUNTER, '/console/counter')
  const actions = new ActionCounter(page)

  await actions.type('[data-testid=counter-search]', plate)
  await actions.press('Enter')
  await expect(page).toHaveURL(/\/console\/work-orders\/\d+$/)
  await actions.type('[data-testid=catalog-search]', wash.name)
  await actions.press('Enter')
  await expect(page.getByTestId('wo-lines')).toContainText(wash.name)
  await actions.press('F9')

  await expect(page).toHaveURL(/\/console\/work-orders\/\d+\/receipt$/)
  await expect(page.getByTestId('receipt-total')).toHaveText(yuan(5000))
  await expect.poll(() => printsOf(page)).toBe(1)
  expect(actions.count).toBeLessThanOrEqual(6)

  const cashier = await staffApi(request, COUNTER)
  const orderId = Number(/work-orders\/(\d+)/.exec(page.url())?.[1])
  const order = await cashier.get(`/work-orders/${orderId}`)
  expect(order.plate).toBe(plate)
  expect(order.status).toBe('settled')
  expect(order.payments.map((p: { type: string; amount_fen: number }) => [p.type, p.amount_fen])).toEqual([['cash', order.total_fen]])
})

test('a walk-in car wash paid in cash: from the opened order to the printed receipt', async ({ page, request }) => {
  const wash = await newServiceItem(request, `精洗${newTag()}`, 'wash', 5000)
  const opened = await openOrder(request, COUNTER, newPlate())
  await countPrints(page)
  await signIn(page, request, COUNTER, `/console/work-orders/${opened.id}`)
  const actions = new ActionCounter(page)

  // The search is focused on an open order; typing part of a name lists matches, the first highlighted.
  await expect(page.getByTestId('catalog-search')).toBeFocused()
  await actions.type('[data-testid=catalog-search]', wash.name)
  await expect(page.getByTestId(`catalog-hit-service_item-${wash.id}`)).toHaveAttribute('aria-selected', 'true')
  await actions.press('Enter')
  await expect(page.getByTestId('wo-total')).toHaveText(yuan(5000))
  await actions.press('F9')

  await expect(page).toHaveURL(new RegExp(`/console/work-orders/${opened.id}/receipt$`))
  await expect(page.getByTestId('receipt-total')).toHaveText(yuan(5000))
  await expect(page.getByTestId('receipt-tender-cash')).toContainText(yuan(5000))
  await expect.poll(() => printsOf(page)).toBe(1)
  expect(actions.count).toBeLessThanOrEqual(3)

  const order = await (await staffApi(request, COUNTER)).get(`/work-orders/${opened.id}`)
  expect(order.status).toBe('settled')
  expect(order.payments.map((p: { type: string; amount_fen: number }) => [p.type, p.amount_fen])).toEqual([['cash', order.total_fen]])

  // Esc goes back to the counter; a reload of the receipt does not print again.
  await page.keyboard.press('Escape')
  await expect(page).toHaveURL(/\/console\/counter$/)
  expect(await printsOf(page)).toBe(1)
})

test('what the advisor types while the order page is still loading stays in the field they typed it in', async ({ page, request }) => {
  const brake = await newServiceItem(request, `刹车检查${newTag()}`, 'repair', 20000)
  const opened = await openOrder(request, 'advisor1', newPlate(), [{ service_item_id: brake.id, quantity: 1 }])
  const advisor = await staffApi(request, 'advisor1')
  // The last of the page's reads is held until the advisor has started typing the mileage.
  let release = () => undefined as void
  const held = new Promise<void>((resolve) => (release = resolve))
  await page.route((url) => url.pathname.endsWith('/api/v1/discount-limits'), async (route) => {
    await held
    await route.continue()
  })
  await signIn(page, request, 'advisor1', `/console/work-orders/${opened.id}`)
  await page.getByTestId('mileage').click()
  await page.keyboard.type('52')
  release()
  await expect(page.getByTestId('wo-store')).not.toBeEmpty()
  await page.keyboard.type('000')
  await page.keyboard.press('Enter')
  await expect.poll(async () => (await advisor.get(`/work-orders/${opened.id}`)).mileage_km).toBe(52000)
  await expect(page.getByTestId('catalog-search')).toHaveValue('')
})

test('an advisor works an order: mileage, a hand-priced line, discounts within and beyond the limit, technicians, extra work approved by phone, status and quote', async ({ page, request }) => {
  const tag = newTag()
  const brake = await newServiceItem(request, `刹车检查${tag}`, 'repair', 20000)
  const pads = await newServiceItem(request, `更换刹车片${tag}`, 'repair', 30000)
  const opened = await openOrder(request, 'advisor1', newPlate(), [{ service_item_id: brake.id, quantity: 1 }])
  const advisor = await staffApi(request, 'advisor1')
  const storeId = await storeOf(request, 'advisor1')
  await signIn(page, request, 'advisor1', `/console/work-orders/${opened.id}`)
  const lineId = opened.lines[0].id

  // Mileage recorded on the order.
  await page.getByTestId('mileage').fill('52000')
  await page.getByTestId('mileage').press('Enter')
  await expect.poll(async () => (await advisor.get(`/work-orders/${opened.id}`)).mileage_km).toBe(52000)

  // A custom line at a hand-made price.
  await page.getByTestId('custom-name').fill(`刹车油${tag}`)
  await page.getByTestId('custom-price').fill('88')
  await page.getByTestId('custom-add').click()
  await expect(page.getByTestId('wo-lines')).toContainText(`刹车油${tag}`)

  // 50 % off is beyond an advisor's limit: the refusal says the owner gives it, and the limit.
  const limit = (await advisor.get('/discount-limits')).items.find((l: { role: string }) => l.role === 'advisor')
  await page.getByTestId(`discount-${lineId}`).click()
  await page.getByTestId('discount-value').fill('50')
  await page.getByTestId('discount-reason').fill('老客户')
  await page.getByTestId('discount-save').click()
  await expect(page.getByTestId('discount-error')).toContainText('需店长审批')
  await expect(page.getByTestId('discount-error')).toContainText(`最多 ${limit.max_percent}%`)
  // Within it, the discount is given.
  await page.getByTestId('discount-value').fill(String(limit.max_percent))
  await page.getByTestId('discount-save').click()
  await expect(page.getByTestId('discount-dialog')).toBeHidden()
  await expect(page.getByTestId(`line-${lineId}`).getByTestId('line-discount')).toContainText('老客户')
  let order = await advisor.get(`/work-orders/${opened.id}`)
  await expect(page.getByTestId(`line-${lineId}`).getByTestId('line-total')).toHaveText(yuan(order.lines[0].line_total_fen))
  await expect(page.getByTestId('wo-total')).toHaveText(yuan(order.total_fen))

  // Technicians from the store's list.
  const people = await advisor.get(`/stores/${storeId}/technicians`)
  const tech = people.items.find((p: { role: string }) => p.role === 'technician')
  await page.getByTestId(`technicians-${lineId}`).click()
  await page.getByTestId(`technician-${tech.id}`).click()
  await page.getByTestId('technicians-save').click()
  await expect(page.getByTestId(`line-${lineId}`).getByTestId('line-technicians')).toContainText(tech.username)

  // Work starts; a line added now is extra work waiting for the member's approval.
  await page.getByTestId('status-in_progress').click()
  await expect(page.getByTestId('wo-status')).toHaveText('施工中')
  await page.getByTestId('catalog-search').fill(pads.name)
  await page.getByTestId('catalog-search').press('Enter')
  await expect.poll(async () => (await advisor.get(`/work-orders/${opened.id}`)).pending_line_ids.length).toBe(1)
  order = await advisor.get(`/work-orders/${opened.id}`)
  const padsLine = order.lines.find((l: { name: string }) => l.name === pads.name)
  await expect(page.getByTestId(`line-${padsLine.id}`).getByTestId('line-approval')).toContainText('待车主确认')
  await expect(page.getByTestId('wo-pending')).toBeVisible()
  await page.getByTestId(`approve-${padsLine.id}`).click()
  await page.getByRole('dialog').getByRole('textbox').fill('10:20 车主电话同意')
  await page.getByRole('button', { name: '记录' }).click()
  await expect(page.getByTestId(`line-${padsLine.id}`).getByTestId('line-approval')).toContainText('车主已同意')

  // Completed; the quote is the server's.
  await page.getByTestId('status-completed').click()
  await expect(page.getByTestId('wo-status')).toHaveText('已完工')
  const quote = await advisor.post(`/work-orders/${opened.id}/quote`, { tenders: [] })
  await page.getByTestId('quote').click()
  await expect(page.getByTestId('quote-total')).toHaveText(yuan(quote.total_fen))
})
