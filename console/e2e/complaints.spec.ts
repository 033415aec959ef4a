// Satisfaction and complaints: a member rates a settled work order 1 in the mini-program (the API
// the follow-up notice opens), the complaint appears on the owner's complaints screen, the owner
// takes it in hand and resolves it with a note, and the dashboard shows the score. Screenshots of
// the screens involved go to ../screens/ to be looked at.
import { resolve } from 'node:path'
import { chooseOption, expect, signIn, staffApi, test } from './fixtures'

const SHOTS = resolve('../screens')
const digits = (count: number) => Array.from({ length: count }, () => Math.floor(Math.random() * 10)).join('')

test('a low rating opens a complaint that the owner takes in hand and resolves', async ({ page, request }) => {
  const owner = await staffApi(request, 'owner')
  const plate = `粤B${digits(5)}`
  const login = await request.post('/api/v1/auth/wechat/login', { data: { code: `complaint-${digits(8)}` } })
  expect(login.ok()).toBeTruthy()
  const { token } = (await login.json()) as { token: string }
  const member = { Authorization: `Bearer ${token}` }
  expect((await request.post('/api/v1/me/vehicles', { headers: member, data: { plate } })).ok()).toBeTruthy()

  const items = await owner.get<{ items: { id: number }[] }>('/service-items')
  const order = await owner.post<{ id: number; total_fen: number }>('/work-orders', {
    store_id: 1,
    plate,
    lines: [{ service_item_id: items.items[0]!.id, quantity: 1 }],
  })
  await owner.post(`/work-orders/${order.id}/settle`, { tenders: [{ type: 'cash', amount_fen: order.total_fen }] })

  const comment = `洗完还有水渍${digits(3)}`
  const rated = await request.post(`/api/v1/me/work-orders/${order.id}/rating`, { headers: member, data: { score: 1, comment } })
  expect(rated.status(), await rated.text()).toBe(201)

  await signIn(page, request, 'owner', '/console/complaints')
  const row = page.getByTestId('complaint-table').getByRole('row').filter({ hasText: comment })
  await expect(row).toBeVisible()
  await expect(row).toContainText('待处理')
  await expect(row).toContainText('1 分')
  await page.screenshot({ path: `${SHOTS}/complaints-list.png`, fullPage: true })
  await row.getByRole('button', { name: '查看' }).click()

  const drawer = page.getByTestId('complaint-drawer')
  await expect(drawer.getByTestId('complaint-detail-status')).toHaveText('待处理')
  await expect(drawer.getByTestId('complaint-events')).toContainText('生成投诉')
  await drawer.getByTestId('complaint-note').fill('已致电车主道歉，约明天免费重洗')
  await drawer.getByRole('button', { name: '开始处理' }).click()
  await expect(drawer.getByTestId('complaint-detail-status')).toHaveText('处理中')

  // Resolving needs a note: the button says so before asking the service.
  await drawer.getByRole('button', { name: '标记已解决' }).click()
  await expect(page.getByText('请填写处理说明：如何解决的')).toBeVisible()
  await drawer.getByTestId('complaint-note').fill('已重洗，车主表示满意')
  await drawer.getByRole('button', { name: '标记已解决' }).click()
  await expect(drawer.getByTestId('complaint-detail-status')).toHaveText('已解决')
  await expect(drawer.getByTestId('complaint-events')).toContainText('处理中 → 已解决')
  await expect(drawer.getByTestId('complaint-events')).toContainText('已重洗，车主表示满意')
  await page.screenshot({ path: `${SHOTS}/complaints-detail.png`, fullPage: true })
  await page.keyboard.press('Escape')
  await expect(row).toContainText('已解决')

  // The dashboard's satisfaction card shows the period's ratings, with this one among them.
  const figures = await owner.get<{ overall: { count: number } }>('/stats/satisfaction')
  expect(figures.overall.count).toBeGreaterThanOrEqual(1)
  await page.goto('/console/dashboard')
  const card = page.getByTestId('satisfaction-card')
  await expect(card.getByTestId('fig-satisfaction')).not.toHaveText('—')
  await expect(card).toContainText(`共 ${figures.overall.count} 条评价`)
  await card.scrollIntoViewIfNeeded()
  await page.screenshot({ path: `${SHOTS}/dashboard-satisfaction.png`, fullPage: true })
})

test('staff keep a member’s profile facts on the car page', async ({ page, request }) => {
  const owner = await staffApi(request, 'owner')
  const plate = `粤B${digits(5)}`
  const created = await owner.post<{ id: number; vehicles: { id: number }[] }>('/members', { phone: `139${digits(8)}`, nickname: `画像${digits(3)}`, plate, store_id: 1 })
  await signIn(page, request, 'owner', `/console/cars/${created.vehicles[0]!.id}`)
  const facts = page.getByTestId('member-facts')
  await expect(facts).toContainText('未填写')
  await page.getByTestId('member-facts-edit').click()
  const dialog = page.getByTestId('profile-dialog')
  await dialog.getByLabel('出生年份').fill('1988')
  await dialog.getByLabel('地区').fill('南山区')
  await chooseOption(page, dialog.getByTestId('profile-car-use'), '网约车')
  await page.screenshot({ path: `${SHOTS}/member-profile-facts.png`, fullPage: true })
  await dialog.getByTestId('profile-save').click()
  await expect(dialog).toBeHidden()
  await expect(facts).toContainText('1988 年生 · 南山区 · 网约车')
  const saved = await owner.get<{ car_use: string; region: string }>(`/members/${created.id}`)
  expect([saved.car_use, saved.region]).toEqual(['ride_hailing', '南山区'])
})
