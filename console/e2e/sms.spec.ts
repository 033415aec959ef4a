// SMS, the second channel, as staff see it: the owner sets quiet hours, caps and the price of an SMS
// in 规则设置 (the service audits it); a cashier records a member's 退订 on the car-and-member page
// and takes it back; a campaign's results say it went by WeChat only, with its SMS figures.
import type { APIRequestContext } from '@playwright/test'
import { expect, runJob, signIn, staffApi, staffSession, test } from './fixtures'
import { COUNTER, newPhone, newPlate } from './shop'

async function optOutOf(request: APIRequestContext, memberId: number) {
  const { token } = await staffSession(request, COUNTER)
  const response = await request.get(`/api/v1/members/${memberId}/sms-opt-out`, { headers: { Authorization: `Bearer ${token}` } })
  expect(response.ok()).toBeTruthy()
  return (await response.json()) as { sms_opted_out: boolean; source: string | null }
}

test('the owner sets the SMS quiet hours, cap and price, and the change is audited', async ({ page, request }) => {
  const owner = await staffApi(request, 'owner')
  const before = await owner.get('/marketing/settings')
  const cost = before.sms_cost_fen === 6 ? 7 : 6

  await signIn(page, request, 'owner', '/console/admin/settings')
  const section = page.getByTestId('settings-sms')
  await expect(section).toContainText('短信提醒')
  await expect(page.getByTestId('setting-sms_quiet_start_minute')).toHaveValue(
    `${String(Math.floor(before.sms_quiet_start_minute / 60)).padStart(2, '0')}:${String(before.sms_quiet_start_minute % 60).padStart(2, '0')}`,
  )
  await page.getByTestId('setting-sms_quiet_end_minute').fill('九点')
  await page.getByTestId('settings-save-sms').click()
  await expect(page.getByTestId('setting-error-sms_quiet_end_minute')).toHaveText('请输入时间，如 21:00')
  await page.getByTestId('setting-sms_quiet_end_minute').fill('08:30')
  await page.getByTestId('setting-sms_cost_fen').fill((cost / 100).toFixed(2))
  await page.getByTestId('settings-save-sms').click()
  await expect(page.getByTestId('setting-error-sms_quiet_end_minute')).toBeHidden()
  await expect.poll(async () => (await owner.get('/marketing/settings')).sms_cost_fen).toBe(cost)
  expect((await owner.get('/marketing/settings')).sms_quiet_end_minute).toBe(510)

  const log = await owner.get('/audit-log?kind=sms_settings&per_page=50')
  const entry = log.items.find((e: { after: Record<string, unknown> | null }) => e.after?.sms_cost_fen === cost)
  expect(entry).toMatchObject({ actor_username: 'owner', after: { sms_quiet_end_minute: 510 } })
})

test('a cashier records a member’s SMS opt-out on request and takes it back', async ({ page, request }) => {
  const cashier = await staffApi(request, COUNTER)
  const member = await cashier.post<{ id: number; vehicles: { id: number }[] }>('/members', { phone: newPhone(), nickname: '退订测试', plate: newPlate() })

  await signIn(page, request, COUNTER, `/console/cars/${member.vehicles[0]!.id}`)
  const card = page.getByTestId('sms-card')
  await expect(card.getByTestId('sms-state')).toHaveText('接收短信')
  await card.getByTestId('sms-toggle').click()
  await page.getByRole('dialog').getByRole('button', { name: '登记退订' }).click()
  await expect(card.getByTestId('sms-state')).toHaveText('已退订')
  await expect(card.getByTestId('sms-since')).toContainText('员工按会员要求登记')
  expect(await optOutOf(request, member.id)).toMatchObject({ sms_opted_out: true, source: 'staff' })

  await page.reload()
  await expect(card.getByTestId('sms-state')).toHaveText('已退订')
  await card.getByTestId('sms-toggle').click()
  await page.getByRole('dialog').getByRole('button', { name: '恢复' }).click()
  await expect(card.getByTestId('sms-state')).toHaveText('接收短信')
  expect((await optOutOf(request, member.id)).sms_opted_out).toBe(false)
})

test('a campaign’s results show its SMS figures: WeChat only, no SMS', async ({ page, request }) => {
  const marketing = await staffApi(request, 'marketing')
  const segment = await marketing.post<{ id: number }>('/segments', {
    name: `短信测试${Date.now()}`,
    rules: { all: [{ field: 'visit_count', op: 'gte', value: 100000 }] },
  })
  const campaign = await marketing.post<{ id: number }>('/campaigns', {
    name: `短信测试活动${Date.now()}`,
    segment_id: segment.id,
    message: { template_key: 'campaign', fields: { thing1: '{nickname}的爱车', thing2: '您有一项车主权益待查看' }, page: 'pages/coupons/index' },
    send_at: new Date(Date.now() + 3000).toISOString(),
  })
  await new Promise((done) => setTimeout(done, 3500))
  expect(runJob('campaign_sends')).toContain('campaign_sends')

  await signIn(page, request, 'marketing', `/console/campaigns/${campaign.id}`)
  const sms = page.getByTestId('campaign-figure-sms')
  await expect(sms.getByTestId('figure-value')).toHaveText('0 条')
  await expect(sms).toContainText('营销活动只发微信，不发短信')
  const read = await marketing.get(`/campaigns/${campaign.id}`)
  expect(read.results).toMatchObject({ sms_sent: 0, sms_cost_fen: 0 })
})
