// Marketing's day: a segment built on screen whose live count is the service's preview, a campaign
// with a coupon launched from it, the scheduler's jobs run against the same database, and the
// results screen showing what the service says was sent.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { APIRequestContext } from '@playwright/test'
import { chooseOption, expect, signIn, staffApi, test } from './fixtures'

const consoleDir = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** Runs a scheduler job with the CLI on the e2e service's database (console/e2e/serve.sh writes its URL). */
function runJob(name: string): string {
  const databaseUrl = readFileSync(resolve(consoleDir, 'test-results/e2e-database-url'), 'utf8').trim()
  const flask = process.env.E2E_FLASK ?? resolve(consoleDir, '../.venv/bin/flask')
  return execFileSync(flask, ['jobs', 'run', name], {
    cwd: resolve(consoleDir, '..'),
    env: { ...process.env, DATABASE_URL: databaseUrl, PITSTOP_ENV: 'development', FLASK_APP: 'wsgi.py' },
    encoding: 'utf8',
    timeout: 60_000,
  })
}

const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('')

/** A member who logged in with WeChat (fake mode: the code is the identity) and accepted campaign
 * messages a few times (grants add up), so a campaign another test launches at the same time does not
 * use up the one this test counts on. */
async function memberWithGrants(request: APIRequestContext, code: string): Promise<number> {
  const login = await request.post('/api/v1/auth/wechat/login', { data: { code } })
  expect(login.ok(), await login.text()).toBeTruthy()
  const { token, member } = (await login.json()) as { token: string; member: { id: number } }
  for (let accepted = 0; accepted < 5; accepted += 1) {
    const grant = await request.post('/api/v1/me/subscriptions', {
      headers: { Authorization: `Bearer ${token}` },
      data: { template_keys: ['campaign'] },
    })
    expect(grant.ok(), await grant.text()).toBeTruthy()
  }
  return member.id
}

test('marketing builds a segment, launches a campaign with a coupon, and sees what was sent', async ({ page, request }) => {
  // Two scheduler jobs run as CLI processes (each starts the whole application).
  test.setTimeout(150_000)
  const marketing = await staffApi(request, 'marketing')
  const owner = await staffApi(request, 'owner')
  const suffix = digits(6)

  // The audience: two members who accepted campaign messages and one registered at the counter
  // (no WeChat, so skipped), all under a tag of their own.
  const tag = await marketing.post<{ id: number; name: string }>('/tags', { name: `活动测试${suffix}` })
  const members = [
    await memberWithGrants(request, `e2e-campaign-${suffix}-a`),
    await memberWithGrants(request, `e2e-campaign-${suffix}-b`),
    (await owner.post<{ id: number }>('/members', { phone: `139${digits(8)}`, nickname: `到店${suffix}` })).id,
  ]
  for (const id of members) await marketing.post(`/members/${id}/tags`, { tag_ids: [tag.id] })
  const coupon = await marketing.post<{ id: number; name: string }>('/coupon-templates', {
    name: `回厂礼券${suffix}`,
    kind: 'cash_off',
    value_fen: 2000,
    threshold_fen: 10000,
    valid_days: 30,
    claimable: false,
  })

  // The segment: the tag, and (an OR group) new members or anyone who has been in once.
  await signIn(page, request, 'marketing', '/console/segments')
  await expect(page.getByTestId('segment-live-count')).toHaveAttribute('data-state', 'ready')
  await page.getByTestId('rule-add-condition').first().click()
  const first = page.getByTestId('rule-condition').first()
  await chooseOption(page, first.getByTestId('rule-field'), '标签')
  await chooseOption(page, first.getByTestId('rule-value-many'), tag.name)
  await page.keyboard.press('Escape')

  await page.getByTestId('rule-add-group').first().click()
  const group = page.getByTestId('rule-group').nth(1)
  await chooseOption(page, group.getByTestId('rule-condition').first().getByTestId('rule-value-many'), '新客')
  await page.keyboard.press('Escape')
  await group.getByTestId('rule-add-condition').click()
  const visits = group.getByTestId('rule-condition').nth(1)
  await chooseOption(page, visits.getByTestId('rule-field'), '回站次数')
  await visits.getByTestId('rule-value-number').locator('input').fill('1')

  const rules = {
    all: [
      { field: 'tags', op: 'has_any', value: [tag.id] },
      {
        any: [
          { field: 'lifecycle', op: 'in', value: ['new'] },
          { field: 'visit_count', op: 'gte', value: 1 },
        ],
      },
    ],
  }
  const preview = await marketing.post<{ count: number; sample: { id: number }[] }>('/segments/preview', { rules })
  expect(preview.count).toBe(3)
  await expect(page.getByTestId('segment-live-count')).toHaveText(String(preview.count))
  await expect(page.getByTestId('segment-live-count')).toHaveAttribute('data-state', 'ready')
  await expect(page.getByTestId('segment-sample').locator('tbody tr')).toHaveCount(preview.sample.length)

  const segmentName = `活动测试客群${suffix}`
  await page.getByTestId('segment-name').fill(segmentName)
  await page.getByTestId('segment-save').click()
  const savedRow = page.getByTestId('segment-list').locator('tr', { hasText: segmentName })
  await expect(savedRow.getByTestId('segment-size')).toHaveText(String(preview.count))
  const saved = (await marketing.get<{ items: { id: number; name: string; rules: unknown }[] }>('/segments?per_page=100')).items.find((s) => s.name === segmentName)!
  expect(saved.rules).toEqual(rules)

  // The campaign, from the saved segment.
  await savedRow.getByTestId('segment-campaign').click()
  await expect(page).toHaveURL(new RegExp(`/console/campaigns/new\\?segment_id=${saved.id}`))
  await page.getByTestId('campaign-name').fill(`回厂活动${suffix}`)
  await expect(page.getByTestId('campaign-audience')).toContainText(`预计人数 ${preview.count} 人`)
  await page.getByTestId('wizard-next').click()
  await chooseOption(page, page.getByTestId('campaign-coupon'), coupon.name)
  await expect(page.getByTestId('campaign-coupon-summary')).toContainText('满 ¥100.00 减 ¥20.00')
  await page.getByTestId('wizard-next').click()

  // WeChat's limits shown while typing; marketing wording refused by the service, at its field.
  const second = page.getByTestId('message-field').nth(1)
  await second.getByTestId('message-field-value').fill('{coupon}已到账')
  await expect(second.getByTestId('message-field-unknown')).toContainText('{coupon}')
  await second.getByTestId('message-field-value').fill('限时折扣，抢购从速')
  await expect(second.getByTestId('message-field-count')).toHaveText('9/20')
  await page.getByTestId('wizard-next').click()
  await page.getByTestId('wizard-next').click()
  await page.getByTestId('campaign-create').click()
  await expect(page.getByTestId('step-message')).toBeVisible()
  await expect(second.getByTestId('message-field-error')).toContainText('营销用语')
  await second.getByTestId('message-field-value').fill('您有一项车主权益待查看')
  await expect(second.getByTestId('message-field-error')).toBeHidden()
  await page.getByTestId('wizard-next').click()
  await page.getByTestId('wizard-next').click()
  await page.getByTestId('campaign-create').click()
  await expect(page).toHaveURL(/\/console\/campaigns\/\d+$/)
  const campaignId = Number(/campaigns\/(\d+)$/.exec(page.url())![1])
  await expect(page.getByTestId('campaign-status')).toHaveText('待发送')
  await expect(page.getByTestId('campaign-pending')).toContainText(`客群当前 ${preview.count} 人`)

  // The scheduler: launch due campaigns, then push the outbox.
  expect(runJob('campaign_sends')).toContain('campaign_sends')
  expect(runJob('send_outbox')).toContain('send_outbox')

  const campaign = await marketing.get<{ status: string; results: Record<string, number> }>(`/campaigns/${campaignId}`)
  expect(campaign.status).toBe('sent')
  expect(campaign.results).toMatchObject({ audience: 3, sent: 2, skipped_no_grant: 1, coupons_issued: 3 })

  await page.getByTestId('campaign-refresh').click()
  await expect(page.getByTestId('campaign-status')).toHaveText('已发出')
  await expect(page.getByTestId('campaign-figure-audience').getByTestId('figure-value')).toHaveText(String(campaign.results.audience))
  await expect(page.getByTestId('campaign-figure-sent').getByTestId('figure-value')).toHaveText(String(campaign.results.sent))
  await expect(page.getByTestId('campaign-figure-skipped').getByTestId('figure-value')).toHaveText(String(campaign.results.skipped_no_grant))
  await expect(page.getByTestId('campaign-figure-used').getByTestId('figure-value')).toHaveText(String(campaign.results.coupons_used))
  await expect(page.getByTestId('campaign-funnel').locator('canvas')).toBeVisible()

  // The list shows the same sends.
  await page.goto('/console/campaigns')
  const listed = page.getByTestId('campaign-list').locator('tr', { hasText: `回厂活动${suffix}` })
  await expect(listed.getByTestId('campaign-sent')).toHaveText(String(campaign.results.sent))
})

test('a new campaign asks for a saved segment, and shows its size once one is chosen', async ({ page, request }) => {
  const marketing = await staffApi(request, 'marketing')
  const name = `回厂客群${digits(6)}`
  const rules = { all: [{ field: 'visit_count', op: 'gte', value: 10000 }] } // nobody: a size other tests cannot change
  await marketing.post('/segments', { name, rules })
  const preview = await marketing.post<{ count: number }>('/segments/preview', { rules })

  await signIn(page, request, 'marketing', '/console/campaigns/new')
  // Saved segments exist, so the line says what to do here rather than sending staff to 客群.
  await expect(page.getByTestId('campaign-audience')).toHaveText('选择客群后显示预计人数。')
  await chooseOption(page, page.getByTestId('campaign-segment'), name)
  await expect(page.getByTestId('campaign-audience')).toContainText(`预计人数 ${preview.count.toLocaleString('zh-CN')} 人`)
})

test('marketing makes a coupon template; top-up plans are the owner’s, whose refusals come from the service', async ({ page, request, browser }) => {
  const marketing = await staffApi(request, 'marketing')
  const owner = await staffApi(request, 'owner')
  const suffix = digits(6)

  await signIn(page, request, 'marketing', '/console/templates')
  await page.getByTestId('coupon-template-new').click()
  const form = page.getByTestId('coupon-template-form')
  await form.getByTestId('coupon-template-name').fill(`保养立减${suffix}`)
  await form.getByTestId('coupon-template-value').fill('20')
  await form.getByTestId('coupon-template-threshold').fill('100.5')
  await form.getByTestId('coupon-template-save').click()
  const row = page.getByTestId('coupon-template-list').locator('tr', { hasText: `保养立减${suffix}` })
  await expect(row).toContainText('满 ¥100.50 减 ¥20.00')
  const created = (await marketing.get<{ items: Record<string, unknown>[] }>('/coupon-templates?per_page=100')).items.find((t) => t.name === `保养立减${suffix}`)
  expect(created).toMatchObject({ kind: 'cash_off', value_fen: 2000, threshold_fen: 10050, valid_days: 30, claimable: false })

  // Money-shaping plans and tiers: marketing reads them, with no way to change them.
  await page.getByRole('tab', { name: '充值方案' }).click()
  await expect(page.getByTestId('topup-owner-only')).toBeVisible()
  await expect(page.getByTestId('topup-plan-new')).toHaveCount(0)
  await expect(page.getByTestId('topup-plan-list')).toContainText('充500送50')
  await page.getByRole('tab', { name: '会员等级' }).click()
  await expect(page.getByTestId('tier-owner-only')).toBeVisible()
  await expect(page.getByTestId('tier-list')).toContainText('金卡会员')

  // The owner: a bonus above the settings' limit is refused by the service, in Chinese.
  const ownerPage = await browser.newPage()
  await signIn(ownerPage, request, 'owner', '/console/templates')
  await ownerPage.getByRole('tab', { name: '充值方案' }).click()
  await ownerPage.getByTestId('topup-plan-new').click()
  const plan = ownerPage.getByTestId('topup-plan-form')
  await plan.getByTestId('topup-plan-name').fill(`充200送300-${suffix}`)
  await plan.getByTestId('topup-plan-pay').fill('200')
  await plan.getByTestId('topup-plan-bonus').fill('300')
  await plan.getByTestId('topup-plan-active').click() // created retired: the counter's plans stay as they are
  await plan.getByTestId('topup-plan-save').click()
  await expect(plan.getByTestId('topup-plan-error')).toHaveText('赠送金额超出规则设置中的上限')
  await plan.getByTestId('topup-plan-name').fill(`充200送20-${suffix}`)
  await plan.getByTestId('topup-plan-bonus').fill('20')
  await plan.getByTestId('topup-plan-save').click()
  await expect(plan).toBeHidden()
  const saved = (await owner.get<{ items: { id: number; name: string; pay_fen: number; bonus_fen: number; is_active: boolean }[] }>('/topup-plans?include_inactive=true&per_page=100')).items.find(
    (p) => p.name === `充200送20-${suffix}`,
  )
  expect(saved).toMatchObject({ pay_fen: 20000, bonus_fen: 2000, is_active: false })
  await ownerPage.close()
})
