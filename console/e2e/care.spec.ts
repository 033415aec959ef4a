// The call list: a gold member's birthday puts them on the list (the scheduler's birthday job, run
// here with `flask jobs run` on the service's own database), a care agent records that the
// customer was lost to price, and the owner finds the outcome among the dashboard's churn reasons.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import type { APIRequestContext, Page } from '@playwright/test'
import { expect, signIn, staffApi, staffSession, test } from './fixtures'

const FLASK = resolve(process.env.E2E_FLASK ?? '../.venv/bin/flask')

/** Runs a scheduler job as `flask jobs run NAME --date DAY` against the database e2e/serve.sh serves. */
function runJob(name: string, day: string) {
  const databaseUrl = readFileSync(resolve('test-results/e2e-database-url'), 'utf8').trim()
  execFileSync(FLASK, ['jobs', 'run', name, '--date', day], {
    cwd: resolve('..'),
    env: { ...process.env, PITSTOP_ENV: 'development', DATABASE_URL: databaseUrl, FLASK_APP: 'wsgi.py' },
    stdio: 'pipe',
  })
}

async function patch(request: APIRequestContext, username: string, path: string, data: unknown) {
  const { token } = await staffSession(request, username)
  const response = await request.patch(`/api/v1${path}`, { headers: { Authorization: `Bearer ${token}` }, data })
  expect(response.ok(), `PATCH ${path}: ${await response.text()}`).toBeTruthy()
  return response.json()
}

function localToday(timezone: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date())
}

const digits = (count: number) => Array.from({ length: count }, () => Math.floor(Math.random() * 10)).join('')

function watchErrors(page: Page, errors: string[]) {
  page.on('pageerror', (error) => errors.push(error.message))
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/.test(message.text())) errors.push(message.text())
  })
}

test('a care agent records a lost customer with a churn reason, and the owner sees it in the churn reasons', async ({ page, request, browser }, testInfo) => {
  const owner = await staffApi(request, 'owner')
  const marketing = await staffApi(request, 'marketing')
  const { timezone } = await owner.get<{ timezone: string }>('/settings')
  const today = localToday(timezone)

  // Gold members get a personal call on their birthday (the demo's 金卡 care: "personal call and gift").
  await patch(request, 'owner', '/marketing/settings', { birthday_call_min_tier_rank: 2 })
  const tiers = await owner.get<{ items: { id: number; rank: number }[] }>('/tiers')
  const gold = tiers.items.find((tier) => tier.rank === 2)!
  const nickname = `回访${digits(4)}`
  const plate = `粤B${digits(5)}`
  const member = await owner.post<{ id: number }>('/members', { phone: `139${digits(8)}`, nickname, plate, store_id: 1 })
  const birthday = today.endsWith('02-29') ? '1992-02-29' : `1990-${today.slice(5)}`
  await patch(request, 'owner', `/members/${member.id}`, { tier_id: gold.id, birthday })
  runJob('birthday_greetings', today)

  const listed = await marketing.get<{ items: { id: number; kind: string; due_date: string }[] }>(`/follow-ups?member_id=${member.id}`)
  expect(listed.items.map((e) => [e.kind, e.due_date])).toEqual([['birthday', today]])
  const entryId = listed.items[0]!.id
  const period = `from=${today}&to=${today}`
  const before = await owner.get<{ follow_ups: { by_churn_reason: Record<string, number> } }>(`/stats/overview?${period}`)

  // The care agent's call list: today's calls, the member with their car.
  await signIn(page, request, 'marketing', '/console/follow-ups')
  const row = page.getByTestId(`call-row-${entryId}`)
  await expect(row).toBeVisible()
  await page.getByTestId(`call-open-${entryId}`).click()
  const drawer = page.getByTestId('outcome-drawer')
  await expect(drawer.getByTestId('outcome-car')).toContainText(`${plate.slice(0, 2)}·${plate.slice(2)}`)
  await page.keyboard.press('5') // the results are keys 1–5; 5 is 已流失
  await expect(drawer.getByTestId('result-lost')).toHaveClass(/is-active/)
  await drawer.getByTestId('outcome-save').click()
  await expect(drawer.getByTestId('outcome-error')).toHaveText('客户已流失，请选择流失原因')
  await drawer.getByTestId('churn-price').click()
  await drawer.getByTestId('outcome-mileage').fill('31500')
  await drawer.getByTestId('outcome-note').fill('嫌保养贵，去了路边店')
  await drawer.getByTestId('outcome-save').click()
  await expect(drawer).toBeHidden()
  await expect(row).toBeHidden()

  // Recorded as said, by the agent, with the mileage on the car.
  const done = await marketing.get<{ items: { id: number; result: string; churn_reason: string; note: string; handled_by: { username: string }; vehicle: { mileage_km: number } }[] }>(
    `/follow-ups?member_id=${member.id}&status=done`,
  )
  expect(done.items.map((e) => [e.id, e.result, e.churn_reason, e.note, e.handled_by.username, e.vehicle.mileage_km])).toEqual([
    [entryId, 'lost', 'price', '嫌保养贵，去了路边店', 'marketing', 31500],
  ])
  await page.getByTestId('tab-done').click()
  await expect(page.getByTestId(`call-result-${entryId}`)).toHaveText('已流失')

  // The owner's dashboard counts it among today's churn reasons, as the stats API does.
  const after = await owner.get<{ follow_ups: { by_churn_reason: Record<string, number> } }>(`/stats/overview?${period}`)
  expect(after.follow_ups.by_churn_reason.price).toBe((before.follow_ups.by_churn_reason.price ?? 0) + 1)
  const ownerContext = await browser.newContext({ baseURL: testInfo.project.use.baseURL, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' })
  const ownerPage = await ownerContext.newPage()
  const ownerErrors: string[] = []
  watchErrors(ownerPage, ownerErrors)
  await signIn(ownerPage, request, 'owner', `/console/dashboard?${period}`)
  await expect(ownerPage.getByTestId('churn-price')).toHaveText(String(after.follow_ups.by_churn_reason.price))
  await ownerContext.close()
  expect(ownerErrors, "errors in the owner's page").toEqual([])
})
