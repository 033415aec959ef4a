import { expect, signIn, staffApi, staffSession, test } from './fixtures'

function freshPlate() {
  const letters = 'ACDEFGHJKLMNPQRSTUVWXYZ'
  return `粤B${letters[Math.floor(Math.random() * letters.length)]}${String(Math.floor(Math.random() * 10000)).padStart(4, '0')}`
}

test('an order opened through the API appears on the board, then moves to 施工中 without a reload', async ({ page, request }) => {
  const advisor = await staffApi(request, 'advisor1')
  const { token } = await staffSession(request, 'advisor1')
  const tech = (await staffSession(request, 'tech1')).staff
  const wash = (await advisor.get('/service-items?per_page=100')).items.find((item: { name: string }) => item.name === '精致洗车')

  // A member's car with its model, so the card shows it.
  const member = await (await request.post('/api/v1/auth/wechat/login', { data: { code: `board-${crypto.randomUUID()}` } })).json()
  const plate = freshPlate()
  const vehicle = await request.post('/api/v1/me/vehicles', { headers: { Authorization: `Bearer ${member.token}` }, data: { plate, model: '丰田 凯美瑞' } })
  expect(vehicle.status()).toBe(201)

  await signIn(page, request, 'advisor1', '/console/board')
  await expect(page.getByTestId('board-column-waiting')).toBeVisible()
  // Marks this document: a reload would lose it.
  await page.evaluate(() => ((window as unknown as { boardMarker: number }).boardMarker = 1))

  const order = await advisor.post('/work-orders', { store_id: 1, plate, lines: [{ service_item_id: wash.id, quantity: 1 }] })
  const assigned = await request.put(`/api/v1/work-orders/${order.id}/lines/${order.lines[0].id}/technicians`, {
    headers: { Authorization: `Bearer ${token}` },
    data: { technicians: [{ staff_id: tech.id }] },
  })
  expect(assigned.ok(), await assigned.text()).toBeTruthy()

  const waiting = page.getByTestId('board-column-waiting').getByTestId(`board-card-${order.id}`)
  await expect(waiting).toBeVisible()
  await expect(waiting).toContainText(`${plate.slice(0, 2)}·${plate.slice(2)}`)
  await expect(waiting).toContainText('丰田 凯美瑞')
  await expect(waiting).toContainText('精致洗车')
  await expect(waiting).toContainText('tech1')
  await expect(waiting.getByTestId('board-card-elapsed')).toContainText('已等')

  await advisor.post(`/work-orders/${order.id}/status`, { status: 'in_progress' })
  const working = page.getByTestId('board-column-working').getByTestId(`board-card-${order.id}`)
  await expect(working).toBeVisible()
  await expect(waiting).toHaveCount(0)
  await expect(working.getByTestId('board-card-elapsed')).toContainText('施工')
  expect(await page.evaluate(() => (window as unknown as { boardMarker?: number }).boardMarker)).toBe(1)

  // Extra work waiting for the member takes the car to 待确认; 立即刷新 asks at once.
  await advisor.post(`/work-orders/${order.id}/lines`, { lines: [{ name: '更换雨刮', unit_price_fen: 8000 }] })
  await page.getByTestId('board-refresh').click()
  await expect(page.getByTestId('board-column-approval').getByTestId(`board-card-${order.id}`)).toContainText('1 项增项待会员确认', { timeout: 2000 })

  // Enter on the focused card opens its work order.
  await page.getByTestId(`board-card-${order.id}`).focus()
  await page.keyboard.press('Enter')
  await expect(page).toHaveURL(new RegExp(`/console/work-orders/${order.id}$`))
})
