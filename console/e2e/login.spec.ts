import { expect, PASSWORD, staffApi, test } from './fixtures'
import type { APIRequestContext } from '@playwright/test'

// Logging out ends every session of that account, so these tests use cashiers of their own
// (the demo's are shared by the other specs running beside them).
async function newCashier(request: APIRequestContext): Promise<string> {
  const owner = await staffApi(request, 'owner')
  const username = `cashier-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`
  await owner.post('/staff', { username, password: PASSWORD, role: 'cashier', store_ids: [1] })
  return username
}

test('a cashier logs in, sees the counter, locks the screen, unlocks and logs out', async ({ page, request }) => {
  const username = await newCashier(request)
  await page.goto('/console/')
  await expect(page).toHaveURL(/\/console\/login/)
  await page.getByTestId('login-username').fill(username)
  await page.getByTestId('login-password').fill('wrong-password')
  await page.getByTestId('login-submit').click()
  await expect(page.getByTestId('login-error')).toHaveText('用户名或密码错误')

  await page.getByTestId('login-password').fill(PASSWORD)
  await page.getByTestId('login-submit').click()
  await expect(page).toHaveURL(/\/console\/counter/)
  await expect(page.getByTestId('who')).toContainText(username)
  // The token is kept for this tab only, never in localStorage.
  expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([])

  await page.getByTestId('lock').click()
  await expect(page.getByTestId('lock-screen')).toBeVisible()
  await page.getByTestId('unlock-password').fill(PASSWORD)
  await page.getByTestId('unlock').click()
  await expect(page.getByTestId('lock-screen')).toBeHidden()

  await page.getByTestId('logout').click()
  await expect(page).toHaveURL(/\/console\/login/)
  await page.goto('/console/counter')
  await expect(page).toHaveURL(/\/console\/login/)
})

test('a revoked session sends the user back to the login screen with the reason', async ({ page, request }) => {
  const username = await newCashier(request)
  const login = await request.post('/api/v1/auth/staff/login', { data: { username, password: PASSWORD } })
  const session = await login.json()
  await page.addInitScript((saved) => sessionStorage.setItem('pitstop.session', JSON.stringify(saved)), { token: session.token, staff: session.staff, storeId: session.staff.store_ids[0] })
  await request.post('/api/v1/auth/logout', { headers: { Authorization: `Bearer ${session.token}` } })
  await page.goto('/console/counter')
  await expect(page).toHaveURL(/\/console\/login/)
  await expect(page.getByTestId('session-ended')).toBeVisible()
})

