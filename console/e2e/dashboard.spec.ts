// The owner's dashboard shows the stats API's figures for the chosen period and store, unchanged.
import { readFileSync } from 'node:fs'
import type { Page } from '@playwright/test'
import { yuan } from '../src/utils/money'
import { chooseOption, expect, runJob, signIn, staffApi, test } from './fixtures'

const digits = (count: number) => Array.from({ length: count }, () => Math.floor(Math.random() * 10)).join('')

type Overview = {
  from: string
  to: string
  store_id: number | null
  visits: { work_orders: number }
  revenue: { total_fen: number; paid_fen: number; average_ticket_fen: number; by_tender: Record<string, number> }
  retention: { return_rate_percent: number }
  members: { new: number; by_lifecycle: Record<string, number>; by_value_class: Record<string, number> }
  liabilities: { stored_value_principal_fen: number; stored_value_bonus_fen: number; points_outstanding: number; package_card_items_outstanding: number }
  follow_ups: { by_churn_reason: Record<string, number> }
  prepaid: {
    topups: { principal_fen: number; by_paid_via: Record<string, number> }
    package_cards: { sold_fen: number; by_paid_via: Record<string, number> }
    period_cards: { sold_fen: number; by_paid_via: Record<string, number> }
  }
  coupons: { issued: number }
}

const count = (value: number) => value.toLocaleString('zh-CN')

/** What the screen shows for the overview's figures (the test ids the dashboard gives them). */
function expectedFigures(overview: Overview): Record<string, string> {
  return {
    'fig-revenue': yuan(overview.revenue.total_fen),
    'fig-paid': yuan(overview.revenue.paid_fen),
    'fig-work-orders': count(overview.visits.work_orders),
    'fig-average-ticket': yuan(overview.revenue.average_ticket_fen),
    'fig-return-rate': `${overview.retention.return_rate_percent}%`,
    'fig-new-members': count(overview.members.new),
    'tender-cash': yuan(overview.revenue.by_tender.cash ?? 0),
    'lifecycle-active': count(overview.members.by_lifecycle.active ?? 0),
    'lifecycle-new': count(overview.members.by_lifecycle.new ?? 0),
    'value-none': count(overview.members.by_value_class.none ?? 0),
    'liability-principal': yuan(overview.liabilities.stored_value_principal_fen),
    'liability-bonus': yuan(overview.liabilities.stored_value_bonus_fen),
    'liability-points': count(overview.liabilities.points_outstanding),
    'liability-card-items': count(overview.liabilities.package_card_items_outstanding),
    'churn-price': count(overview.follow_ups.by_churn_reason.price ?? 0),
    'prepaid-topups': yuan(overview.prepaid.topups.principal_fen),
    'prepaid-package-cards': yuan(overview.prepaid.package_cards.sold_fen),
    'prepaid-period-cards': yuan(overview.prepaid.period_cards.sold_fen),
    'coupons-issued': count(overview.coupons.issued),
    'prepaid-topups-cash': yuan(overview.prepaid.topups.by_paid_via.cash ?? 0),
    'prepaid-topups-wechat': yuan(overview.prepaid.topups.by_paid_via.wechat ?? 0),
    'prepaid-package-cards-cash': yuan(overview.prepaid.package_cards.by_paid_via.cash ?? 0),
    'prepaid-period-cards-cash': yuan(overview.prepaid.period_cards.by_paid_via.cash ?? 0),
  }
}

async function shownFigures(page: Page, ids: string[]): Promise<Record<string, string>> {
  const shown: Record<string, string> = {}
  for (const id of ids) shown[id] = ((await page.getByTestId(id).textContent()) ?? '').trim()
  return shown
}

test("the owner's dashboard figures equal GET /stats/overview for the same period and store", async ({ page, request }) => {
  // A cash sale at store 1 today, so the store's figures are not all zero.
  const cashier = await staffApi(request, 'cashier1')
  const items = await cashier.get<{ items: { id: number; is_active: boolean }[] }>('/service-items')
  const plate = `粤B${digits(5)}`
  const member = await cashier.post<{ id: number }>('/members', { phone: `137${digits(8)}`, nickname: `看板${digits(4)}`, plate, store_id: 1 })
  // And a cash top-up, so the period's prepaid sales are not all zero either.
  await cashier.post(`/members/${member.id}/topups`, { amount_fen: 10000, paid_via: 'cash', store_id: 1 })
  const order = await cashier.post<{ id: number }>('/work-orders', { store_id: 1, plate, lines: [{ service_item_id: items.items.find((i) => i.is_active)!.id }] })
  const quote = await cashier.post<{ total_fen: number }>(`/work-orders/${order.id}/quote`, { tenders: [] })
  await cashier.post(`/work-orders/${order.id}/settle`, { tenders: [{ type: 'cash', amount_fen: quote.total_fen }] })

  const owner = await staffApi(request, 'owner')
  await signIn(page, request, 'owner', '/console/dashboard')
  await expect(page.getByTestId('fig-revenue')).toBeVisible()
  // The default period is the service's (30 days to today); pick store 1 in the store picker.
  await chooseOption(page, page.getByTestId('dashboard-store'), 'Pitstop 南山店')
  await expect(page).toHaveURL(/store_id=1/)
  const from = (await page.getByTestId('period-from').textContent())!.trim()
  const to = (await page.getByTestId('period-to').textContent())!.trim()
  expect(page.url()).toContain(`from=${from}&to=${to}`)

  // Other tests sell at the same time: compare the screen with a fresh read until both agree.
  await expect(async () => {
    await page.reload()
    await expect(page.getByTestId('fig-revenue')).toBeVisible()
    const overview = await owner.get<Overview>(`/stats/overview?from=${from}&to=${to}&store_id=1`)
    expect(overview.visits.work_orders).toBeGreaterThan(0)
    expect(overview.prepaid.topups.by_paid_via.cash).toBeGreaterThanOrEqual(10000)
    const expected = expectedFigures(overview)
    expect(await shownFigures(page, Object.keys(expected))).toEqual(expected)
  }).toPass({ timeout: 20_000 })

  // The CSV the service offers for the same query downloads through the console (a Blob URL).
  const download = page.waitForEvent('download')
  await page.getByTestId('csv-overview').click()
  const file = await download
  expect(file.suggestedFilename()).toBe(`stats-overview-${from}-${to}.csv`)
  const text = readFileSync((await file.path())!, 'utf8')
  expect(text.charCodeAt(0)).toBe(0xfeff)
  expect(text).toContain(from)
})

test("the dashboard's SMS card shows GET /marketing/sms-usage for the dashboard's period", async ({ page, request }) => {
  type Usage = { sent: number; cost_fen: number; delivered: number; by_kind: Record<string, { sent: number; delivered: number; not_sent: Record<string, number> }> }
  const owner = await staffApi(request, 'owner')
  // A campaign to a member of their own (a region no one else has) who gave no WeChat grant: its
  // message is not sent, and a campaign's never goes by SMS, which the card counts.
  const region = `短信看板${digits(6)}`
  const member = await owner.post<{ id: number }>('/members', { phone: `136${digits(8)}`, nickname: `短信${digits(3)}`, plate: `粤B${digits(5)}`, store_id: 1 })
  await owner.patch(`/members/${member.id}`, { region })
  const marketing = await staffApi(request, 'marketing')
  const segment = await marketing.post<{ id: number }>('/segments', { name: region, rules: { all: [{ field: 'region', op: 'eq', value: region }] } })
  await marketing.post('/campaigns', {
    name: region,
    segment_id: segment.id,
    message: { template_key: 'campaign', fields: { thing1: '{nickname}的爱车', thing2: '您有一项车主权益待查看' }, page: 'pages/coupons/index' },
    send_at: new Date(Date.now() + 3000).toISOString(),
  })
  await new Promise((done) => setTimeout(done, 3500))
  expect(runJob('campaign_sends')).toContain('campaign_sends')
  expect(runJob('send_outbox')).toContain('send_outbox')

  await signIn(page, request, 'owner', '/console/dashboard')
  await expect(page.getByTestId('period-to')).not.toHaveText('…')
  const from = (await page.getByTestId('period-from').textContent())!.trim()
  const to = (await page.getByTestId('period-to').textContent())!.trim()
  const card = page.getByTestId('sms-usage-card')
  await expect(async () => {
    await page.reload()
    await expect(card.getByTestId('fig-sms-cost')).toBeVisible()
    const usage = await owner.get<Usage>(`/marketing/sms-usage?from=${from}&to=${to}`)
    expect(usage.by_kind.campaign?.not_sent.not_by_sms).toBeGreaterThanOrEqual(1)
    await expect(card.getByTestId('fig-sms-sent')).toHaveText(`${count(usage.sent)} 条`, { timeout: 1000 })
    await expect(card.getByTestId('fig-sms-cost')).toHaveText(yuan(usage.cost_fen), { timeout: 1000 })
    await expect(card.getByTestId('fig-sms-delivered')).toHaveText(`${count(usage.delivered)} 条`, { timeout: 1000 })
    await expect(card.locator('[data-testid^="sms-sent-"]')).toHaveCount(Object.keys(usage.by_kind).length, { timeout: 1000 })
    for (const [kind, figures] of Object.entries(usage.by_kind)) {
      await expect(card.getByTestId(`sms-sent-${kind}`)).toHaveText(String(figures.sent), { timeout: 1000 })
      await expect(card.getByTestId(`sms-delivered-${kind}`)).toHaveText(String(figures.delivered), { timeout: 1000 })
      // Campaign messages without a grant are not sent by SMS: the row says so, with their count.
      if (figures.not_sent.not_by_sms) await expect(card.getByTestId(`sms-not-sent-${kind}`)).toContainText(`营销类不发短信 ${figures.not_sent.not_by_sms}`, { timeout: 1000 })
    }
  }).toPass({ timeout: 20_000 })
})
