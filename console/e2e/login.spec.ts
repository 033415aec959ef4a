import { expect, test } from './fixtures'

test('a cashier logs in, sees the counter, locks the screen, unlocks and logs out', async ({ page }) => {
  await page.goto('/console/')
  await expect(page).toHaveURL(/\/console\/login/)
  await page.getByTestId('login-username').fill('cashier1')
  await page.getByTestId('login-password').fill('wrong-password')
  await page.getByTestId('login-submit').click()
  await expect(page.getByTestId('login-error')).toHaveText('用户名或密码错误')

  await page.getByTestId('login-password').fill('pitstop-demo')
  await page.getByTestId('login-submit').click()
  await expect(page).toHaveURL(/\/console\/counter/)
  await expect(page.getByTestId('who')).toContainText('cashier1')
  // The token is kept for this tab only, never in localStorage.
  expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([])

  await page.getByTestId('lock').click()
  await expect(page.getByTestId('lock-screen')).toBeVisible()
  await page.getByTestId('unlock-password').fill('pitstop-demo')
  await page.getByTestId('unlock').click()
  await expect(page.getByTestId('lock-screen')).toBeHidden()

  await page.getByTestId('logout').click()
  await expect(page).toHaveURL(/\/console\/login/)
  await page.goto('/console/counter')
  await expect(page).toHaveURL(/\/console\/login/)
})

test('a revoked session sends the user back to the login screen with the reason', async ({ page, request }) => {
  const login = await request.post('/api/v1/auth/staff/login', { data: { username: 'cashier2', password: 'pitstop-demo' } })
  const session = await login.json()
  await page.addInitScript((saved) => sessionStorage.setItem('pitstop.session', JSON.stringify(saved)), { token: session.token, staff: session.staff, storeId: session.staff.store_ids[0] })
  await request.post('/api/v1/auth/logout', { headers: { Authorization: `Bearer ${session.token}` } })
  await page.goto('/console/counter')
  await expect(page).toHaveURL(/\/console\/login/)
  await expect(page.getByTestId('session-ended')).toBeVisible()
})
