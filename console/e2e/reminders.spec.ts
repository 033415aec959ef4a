// The care reminders on screen: marketing keeps the holiday calendar (add, edit, delete, each change
// in the audit log), the owner sets how far ahead insurance and inspection reminders go, the counter
// records a car's registration date and insurance expiry, and the call list knows the new kinds.
import type { Page } from '@playwright/test'
import { chooseOption, expect, signIn, staffApi, test } from './fixtures'

const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('')

async function pickDate(page: Page, placeholder: string, day: string) {
  const input = page.getByPlaceholder(placeholder)
  await input.fill(day)
  await input.press('Enter')
}

test('marketing adds, changes and removes a holiday; every change is audited', async ({ page, request }) => {
  const marketing = await staffApi(request, 'marketing')
  const owner = await staffApi(request, 'owner')
  const name = `中秋节${digits(4)}`
  const year = new Date().getFullYear() + 1

  await signIn(page, request, 'marketing', '/console/holidays')
  await expect(page.getByRole('heading', { name: '节日日历' })).toBeVisible()
  await page.getByTestId('holiday-create').click()
  const form = page.getByTestId('holiday-form')
  await form.getByTestId('holiday-form-name').fill(name)
  await pickDate(page, '选择日期', `${year}-09-25`)
  await form.getByRole('spinbutton').fill('2')
  await form.getByTestId('holiday-form-save').click()
  await expect(form).toBeHidden()

  // The screen moves to the holiday's year and shows it as the service stored it.
  const listed = await marketing.get<{ items: { id: number; name: string; day: string; days_before: number }[] }>(`/marketing/holidays?year=${year}`)
  const holiday = listed.items.find((item) => item.name === name)!
  expect(holiday).toMatchObject({ day: `${year}-09-25`, days_before: 2 })
  await expect(page.getByTestId(`holiday-name-${holiday.id}`)).toHaveText(name)
  await expect(page.getByTestId(`holiday-send-${holiday.id}`)).toHaveText('提前 2 天（09-23）')

  // The same holiday twice on one day is refused beside the name.
  await page.getByTestId('holiday-create').click()
  await form.getByTestId('holiday-form-name').fill(name)
  await pickDate(page, '选择日期', `${year}-09-25`)
  await form.getByTestId('holiday-form-save').click()
  await expect(form.getByTestId('holiday-form-error-name')).toHaveText('节日日历里这一天已有同名节日')
  await page.keyboard.press('Escape')
  await expect(form).toBeHidden()

  await page.getByTestId(`holiday-edit-${holiday.id}`).click()
  await form.getByRole('spinbutton').fill('0')
  await form.getByTestId('holiday-form-save').click()
  await expect(page.getByTestId(`holiday-send-${holiday.id}`)).toHaveText('当天')

  await page.getByTestId(`holiday-delete-${holiday.id}`).click()
  await page.getByRole('dialog', { name: '删除节日' }).getByRole('button', { name: '删除', exact: true }).click()
  await expect(page.getByTestId(`holiday-name-${holiday.id}`)).toBeHidden()

  const log = await owner.get<{ items: { entity_id: number; before: Record<string, unknown> | null; after: Record<string, unknown> | null; actor_username: string }[] }>(
    '/audit-log?kind=holiday&per_page=50',
  )
  const trail = log.items.filter((entry) => entry.entity_id === holiday.id)
  expect(trail.map((entry) => [entry.actor_username, entry.before?.days_before ?? null, entry.after?.days_before ?? null])).toEqual([
    ['marketing', 0, null],
    ['marketing', 2, 0],
    ['marketing', null, 2],
  ])
})

test('the owner sets the reminder days and the counter records the dates they count from', async ({ page, request }) => {
  const owner = await staffApi(request, 'owner')
  await signIn(page, request, 'owner', '/console/admin/settings')
  const days = page.getByTestId('setting-insurance_reminder_days')
  await expect(days).toHaveValue('30、7')
  await days.fill('45，15')
  await page.getByTestId('setting-inspection_reminder_days').fill('20')
  await page.getByTestId('settings-save-care').click()
  await expect.poll(async () => (await owner.get('/marketing/settings')).insurance_reminder_days).toEqual([45, 15])
  expect((await owner.get('/marketing/settings')).inspection_reminder_days).toBe(20)
  await expect(days).toHaveValue('45、15')

  // A member's car, opened at the counter: the dates are recorded on the car card.
  const login = await (await request.post('/api/v1/auth/wechat/login', { data: { code: `reminders-${crypto.randomUUID()}` } })).json()
  const plate = `粤B${digits(5)}`
  const created = await request.post('/api/v1/me/vehicles', { headers: { Authorization: `Bearer ${login.token}` }, data: { plate, model: '本田 雅阁' } })
  expect(created.status()).toBe(201)
  const vehicle = (await created.json()) as { id: number }
  await page.goto(`/console/cars/${vehicle.id}`)
  await expect(page.getByTestId('car-registration')).toHaveText('—')
  await page.getByTestId('car-dates-edit').click()
  const form = page.getByTestId('car-dates-form')
  await pickDate(page, '行驶证注册日期', '2020-05-15')
  await pickDate(page, '保单到期日', '2027-03-01')
  await chooseOption(page, form.getByTestId('car-form-inspection-class'), '非营运小型客车')
  await form.getByTestId('car-form-save').click()
  await expect(form).toBeHidden()
  await expect(page.getByTestId('car-registration')).toHaveText('2020/05/15')
  await expect(page.getByTestId('car-insurance')).toHaveText('2027/03/01')
  await expect(page.getByTestId('car-inspection-class')).toHaveText('非营运小型客车')
  expect(await owner.get(`/vehicles/${vehicle.id}`)).toMatchObject({
    registration_date: '2020-05-15',
    insurance_expires_on: '2027-03-01',
    inspection_class: 'small_passenger',
  })

  // The call list can be filtered by the new kinds.
  await page.goto('/console/follow-ups')
  await page.getByTestId('filter-kind').click()
  for (const label of ['续保提醒', '年检提醒', '入会周年', '购车周年', '节日问候']) {
    await expect(page.getByRole('option', { name: label, exact: true })).toBeVisible()
  }
})
