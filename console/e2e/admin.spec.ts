import { expect, PASSWORD, signIn, staffApi, test } from './fixtures'

const NEW_PASSWORD = 'counter-pass-2026'

test('the owner creates a cashier who logs in; disabled, their open console returns to the login screen', async ({ page, request, browser }) => {
  const username = `cashier${Date.now().toString(36)}${Math.floor(Math.random() * 1000)}`
  await signIn(page, request, 'owner', '/console/admin/staff')

  await page.getByTestId('staff-create').click()
  await expect(page.getByTestId('staff-form-username')).toBeFocused()
  await page.getByTestId('staff-form-username').fill(username)
  await page.getByTestId('staff-form-password').fill('short')
  await page.getByTestId('staff-form-store-1').click()
  await page.getByTestId('staff-form-password').press('Enter')
  // The service's rule, shown beside the field; nothing was created.
  await expect(page.getByTestId('staff-form-error-password')).toBeVisible()
  await page.getByTestId('staff-form-password').fill(NEW_PASSWORD)
  await page.getByTestId('staff-form-submit').click()
  await expect(page.getByTestId(`staff-status-${username}`)).toHaveText('在用')

  const owner = await staffApi(request, 'owner')
  const created = (await owner.get('/staff?role=cashier&per_page=100')).items.find((s: { username: string }) => s.username === username)
  expect(created).toMatchObject({ role: 'cashier', store_ids: [1], is_active: true })

  // The new cashier logs in at another counter (a browser of their own).
  const counter = await browser.newContext()
  const cashierPage = await counter.newPage()
  await cashierPage.goto('/console/login')
  await cashierPage.getByTestId('login-username').fill(username)
  await cashierPage.getByTestId('login-password').fill(NEW_PASSWORD)
  await cashierPage.getByTestId('login-submit').click()
  await expect(cashierPage).toHaveURL(/\/console\/counter/)
  await expect(cashierPage.getByTestId('who')).toContainText(username)

  // The owner disables them: their open console is refused at its next request.
  await page.getByTestId(`staff-disable-${username}`).click()
  await page.getByRole('dialog', { name: '停用员工' }).getByRole('button', { name: '停用' }).click()
  await expect(page.getByTestId(`staff-status-${username}`)).toHaveText('已停用')
  expect((await owner.get(`/staff/${created.id}`)).is_active).toBe(false)

  await cashierPage.reload()
  await expect(cashierPage).toHaveURL(/\/console\/login/)
  await expect(cashierPage.getByTestId('session-ended')).toBeVisible()
  await cashierPage.getByTestId('login-username').fill(username)
  await cashierPage.getByTestId('login-password').fill(NEW_PASSWORD)
  await cashierPage.getByTestId('login-submit').click()
  await expect(cashierPage.getByTestId('login-error')).toHaveText('用户名或密码错误')
  await counter.close()
})

test('the owner changes the console lock minutes and the audit log shows the change', async ({ page, request }) => {
  const owner = await staffApi(request, 'owner')
  const before: number = (await owner.get('/settings')).console_lock_minutes
  let minutes = 30 + Math.floor(Math.random() * 200)
  if (minutes === before) minutes += 1

  await signIn(page, request, 'owner', '/console/admin/settings')
  const input = page.getByTestId('setting-console_lock_minutes')
  await expect(input).toHaveValue(String(before))
  await input.fill('0')
  await page.getByTestId('settings-save-console').click()
  await expect(page.getByTestId('setting-error-console_lock_minutes')).toHaveText('应在 1–240 之间')
  await input.fill(String(minutes))
  await input.press('Enter')
  await expect(page.getByTestId('setting-error-console_lock_minutes')).toBeHidden()
  await expect.poll(async () => (await owner.get('/settings')).console_lock_minutes).toBe(minutes)

  const log = await owner.get('/audit-log?kind=settings&per_page=50')
  const entry = log.items.find((e: { after: Record<string, unknown> | null }) => e.after?.console_lock_minutes === minutes)
  expect(entry).toMatchObject({ actor_username: 'owner', before: { console_lock_minutes: before } })

  await page.getByRole('menuitem', { name: '操作日志' }).click()
  await expect(page).toHaveURL(/\/console\/audit/)
  const changes = page.getByTestId(`audit-changes-${entry.id}`)
  await expect(changes).toContainText('锁屏时间（分钟）')
  await expect(changes).toContainText(new RegExp(`${before}\\s*→\\s*${minutes}`))
  await expect(page.getByTestId(`audit-kind-${entry.id}`)).toHaveText('规则设置')
})

// Here, after the test that changes the lock minutes: tests of one file run in order in one worker,
// so the minutes read below are the ones the console is given.
test('an idle console locks itself after the minutes the owner set', async ({ page, request }) => {
  const owner = await staffApi(request, 'owner')
  const username = `cashier-idle-${Date.now().toString(36)}`
  await owner.post('/staff', { username, password: PASSWORD, role: 'cashier', store_ids: [1] })
  const { console_lock_minutes: minutes } = await owner.get<{ console_lock_minutes: number }>('/settings')
  await page.clock.install()
  await signIn(page, request, username, '/console/counter')
  await expect(page.getByTestId('who')).toContainText(username)
  // The console reads the minutes as it opens; the lock button names them once it has them.
  await expect(page.getByTestId('lock')).toHaveAttribute('title', `无操作 ${minutes} 分钟后自动锁屏`)
  await page.clock.fastForward(minutes * 60_000 - 5_000)
  await expect(page.getByTestId('lock-screen')).toBeHidden()
  await page.clock.fastForward(10_000)
  await expect(page.getByTestId('lock-screen')).toBeVisible()
  // Nothing of the counter can be reached behind the lock; the password opens it again.
  await page.getByTestId('unlock-password').fill(PASSWORD)
  await page.getByTestId('unlock').click()
  await expect(page.getByTestId('lock-screen')).toBeHidden()
})

test('the owner opens a store with its hours, bays and labor rate', async ({ page, request }) => {
  const name = `测试店${Math.floor(Math.random() * 1e6)}`
  await signIn(page, request, 'owner', '/console/admin/stores')
  await page.getByTestId('store-create').click()
  await expect(page.getByTestId('store-form-name')).toBeFocused()
  await page.getByTestId('store-form-name').fill(name)
  await page.getByTestId('store-form-labor-rate').fill('12o')
  await page.getByTestId('store-form-submit').click()
  await expect(page.getByTestId('store-form-error-labor_rate_fen')).toBeVisible()
  await page.getByTestId('store-form-labor-rate').fill('120')
  await page.getByTestId('store-form').getByRole('button', { name: '增加数值' }).first().click()
  await page.getByTestId('store-form-open-mon').click()
  await page.getByTestId('store-form-open-tue').click()
  await page.getByTestId('store-form-name').press('Enter')
  await expect(page.getByTestId('store-form')).toBeHidden()

  const owner = await staffApi(request, 'owner')
  const store = (await owner.get('/stores')).items.find((s: { name: string }) => s.name === name)
  expect(store).toMatchObject({ bays: 2, labor_rate_fen: 12000, opening_hours: { mon: ['09:00', '18:00'], tue: ['09:00', '18:00'] } })
  await expect(page.getByTestId(`store-hours-${store.id}`)).toHaveText('周一至周二 09:00–18:00')
  await expect(page.getByTestId(`store-labor-rate-${store.id}`)).toHaveText('¥120.00')
  const entry = (await owner.get('/audit-log?kind=store&per_page=20')).items.find((e: { entity_id: number }) => e.entity_id === store.id)
  expect(entry).toMatchObject({ actor_username: 'owner', before: null, after: { name, bays: 2, labor_rate_fen: 12000 } })
})
