// Visits every screen of the console as the staff member who uses it, with a little data made
// through the API first (a member's car, an open order, a settled one), and saves a screenshot.
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, test, type Page } from '@playwright/test'
import { runJob, signIn, staffApi } from '../e2e/fixtures'

const OUT = fileURLToPath(new URL('../../screens/', import.meta.url))
mkdirSync(OUT, { recursive: true })

async function shoot(page: Page, name: string) {
  await page.waitForLoadState('networkidle')
  // Let charts and transitions settle.
  await page.waitForTimeout(400)
  await page.screenshot({ path: `${OUT}${name}.png`, fullPage: false })
}

test('every screen', async ({ browser, request }) => {
  const owner = await staffApi(request, 'owner')
  const plate = `粤B${Math.floor(10000 + Math.random() * 89999)}`
  const cars = await owner.get<{ items: { vehicle: { id: number }; member: { id: number } | null }[] }>(`/vehicles?plate=B12345`)
  const memberCar = { id: cars.items[0]!.vehicle.id, member_id: cars.items[0]!.member!.id }
  const open = await owner.post<{ id: number }>('/work-orders', { store_id: 1, plate: '粤B12345', lines: [{ name: '精洗', unit_price_fen: 5800, category: 'wash' }] })
  const settled = await owner.post<{ id: number }>('/work-orders', { store_id: 1, plate, lines: [{ name: '标准洗车', unit_price_fen: 3500, category: 'wash' }] })
  const quote = await owner.post<{ total_fen: number }>(`/work-orders/${settled.id}/quote`, { tenders: [] })
  await owner.post(`/work-orders/${settled.id}/settle`, { tenders: [{ type: 'cash', amount_fen: quote.total_fen }] })

  const account = await owner.post<{ id: number }>('/accounts', {
    name: `平安财险${plate.slice(-4)}`,
    kind: 'insurer',
    contact_name: '理赔专员',
    credit_limit_fen: 5000000,
    payment_terms_days: 30,
  })

  // The exchange catalog: a coupon and a part, and a part a member redeemed and has not collected.
  const templates = await owner.get<{ items: { id: number; name: string }[] }>('/coupon-templates?per_page=1')
  await owner.post('/exchange-rewards', { name: templates.items[0]!.name, kind: 'coupon', coupon_template_id: templates.items[0]!.id, points_price: 500 })
  const part = await owner.post<{ id: number }>('/parts', { name: '雨刮片（一对）', sku: `WIPER-${plate.slice(-5)}`, price_fen: 8000, stock: 5, store_id: 1 })
  const reward = await owner.post<{ id: number }>('/exchange-rewards', { name: '雨刮片（一对）', kind: 'part', part_id: part.id, points_price: 800, total_stock: 20 })
  const login = await (await request.post('/api/v1/auth/wechat/login', { data: { code: `screens-${plate}` } })).json()
  await owner.post(`/members/${login.member.id}/points/adjustments`, { points: 1000, reason: '积分兑换演示' })
  await request.post('/api/v1/me/exchange-redemptions', { headers: { Authorization: `Bearer ${login.token}`, 'Idempotency-Key': crypto.randomUUID() }, data: { reward_id: reward.id } })
  // A campaign launched now, for its results screen (SMS figures among them).
  const marketing = await staffApi(request, 'marketing')
  const segment = await marketing.post<{ id: number }>('/segments', { name: `截图客群${plate}`, rules: { all: [{ field: 'visit_count', op: 'gte', value: 1 }] } })
  const campaign = await marketing.post<{ id: number }>('/campaigns', {
    name: `春季保养关怀${plate.slice(-4)}`,
    segment_id: segment.id,
    message: { template_key: 'campaign', fields: { thing1: '{nickname}的爱车', thing2: '您有一项车主权益待查看' }, page: 'pages/coupons/index' },
    send_at: new Date(Date.now() + 3000).toISOString(),
  })
  await new Promise((done) => setTimeout(done, 3500))
  runJob('campaign_sends')
  runJob('send_outbox')
  // The holiday calendar of this year, one greeting sent ahead.
  const year = new Date().getFullYear()
  for (const holiday of [
    { name: '中秋节', day: `${year}-09-25`, days_before: 1 },
    { name: '国庆节', day: `${year}-10-01` },
    { name: '元旦', day: `${year}-12-31`, days_before: 2, active: false },
  ]) {
    await owner.post('/marketing/holidays', holiday)
  }

  const screens: [string, string, string][] = [
    ['counter', 'cashier1', '/console/counter'],
    ['vehicle', 'cashier1', `/console/cars/${memberCar.id}`],
    ['work-order', 'cashier1', `/console/work-orders/${open.id}`],
    ['checkout', 'cashier1', `/console/work-orders/${open.id}/checkout`],
    ['receipt', 'cashier1', `/console/work-orders/${settled.id}/receipt`],
    ['refund', 'owner', `/console/work-orders/${settled.id}/refund`],
    ['board', 'cashier1', '/console/board'],
    ['bookings', 'cashier1', '/console/bookings'],
    ['topup', 'cashier1', `/console/members/${memberCar.member_id}/topup`],
    ['stock', 'cashier1', '/console/stock'],
    ['shift', 'cashier1', '/console/shift'],
    ['segments', 'marketing', '/console/segments'],
    ['campaigns', 'marketing', '/console/campaigns'],
    ['campaign-new', 'marketing', '/console/campaigns/new'],
    ['campaign', 'marketing', `/console/campaigns/${campaign.id}`],
    ['templates', 'marketing', '/console/templates'],
    ['follow-ups', 'marketing', '/console/follow-ups'],
    ['complaints', 'owner', '/console/complaints'],
    ['referrals', 'marketing', '/console/referrals'],
    ['exchange', 'owner', '/console/exchange'],
    ['exchange-redemptions', 'cashier1', '/console/exchange'],
    ['holidays', 'marketing', '/console/holidays'],
    ['dashboard', 'owner', '/console/dashboard'],
    ['admin-staff', 'owner', '/console/admin/staff'],
    ['admin-stores', 'owner', '/console/admin/stores'],
    ['admin-settings', 'owner', '/console/admin/settings'],
    ['audit', 'owner', '/console/audit'],
    ['accounts', 'owner', '/console/accounts'],
    ['account', 'owner', `/console/accounts/${account.id}`],
    ['imports', 'owner', '/console/imports'],
    ['exports', 'owner', '/console/exports'],
  ]
  {
    const context = await browser.newContext()
    const page = await context.newPage()
    await page.goto('/console/login')
    await shoot(page, '00-login')
    await context.close()
  }
  let index = 1
  for (const [name, username, path] of screens) {
    const context = await browser.newContext()
    const page = await context.newPage()
    await signIn(page, request, username, path)
    await expect(page).toHaveURL(new RegExp(path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    await shoot(page, `${String(index).padStart(2, '0')}-${name}`)
    index += 1
    await context.close()
  }
  {
    // The SMS rules sit below the fold of 规则设置.
    const context = await browser.newContext()
    const page = await context.newPage()
    await signIn(page, request, 'owner', '/console/admin/settings')
    await page.getByTestId('settings-sms').scrollIntoViewIfNeeded()
    await shoot(page, `${String(index).padStart(2, '0')}-admin-settings-sms`)
    await context.close()
  }
  {
    // The dashboard's prepaid sales and liabilities sit below its charts.
    const context = await browser.newContext()
    const page = await context.newPage()
    await signIn(page, request, 'owner', '/console/dashboard')
    await page.getByTestId('prepaid').scrollIntoViewIfNeeded()
    await shoot(page, `${String(index + 1).padStart(2, '0')}-dashboard-prepaid`)
    await page.getByTestId('sms-usage-card').scrollIntoViewIfNeeded()
    await shoot(page, `${String(index + 2).padStart(2, '0')}-dashboard-sms`)
    await context.close()
  }
})
