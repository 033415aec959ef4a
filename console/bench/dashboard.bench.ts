// How long the owner waits for every figure of the dashboard at a million members: the time from
// opening /console/dashboard to each API answer it asks for, and to the last figure on screen.
import { expect, test } from '@playwright/test'

const OWNER = { username: 'bench-owner', password: 'bench-password' }

test('the dashboard at the benchmark database', async ({ page, request }) => {
  test.skip(!process.env.BENCH_DATABASE_URL, 'needs BENCH_DATABASE_URL: the seeded benchmark database, not the demo data')
  const login = await request.post('/api/v1/auth/staff/login', { data: OWNER })
  expect(login.status()).toBe(200)
  const session = await login.json()
  await page.addInitScript((saved) => sessionStorage.setItem('pitstop.session', JSON.stringify(saved)), {
    token: session.token,
    staff: session.staff,
    storeId: session.staff.store_ids[0],
  })
  // A first visit warms the service's workers; the second is measured.
  await page.goto('/console/dashboard')
  await expect(page.getByTestId('follow-ups-total')).toBeVisible({ timeout: 120_000 })

  const answers: { path: string; ms: number }[] = []
  let started = 0
  page.on('response', (response) => {
    const url = new URL(response.url())
    if (url.pathname.startsWith('/api/v1/')) answers.push({ path: `${url.pathname}${url.search}`, ms: Date.now() - started })
  })
  started = Date.now()
  await page.reload()
  await expect(page.getByTestId('follow-ups-total')).toBeVisible({ timeout: 120_000 })
  await page.waitForLoadState('networkidle')
  const lastFigure = Math.max(...answers.map((a) => a.ms))
  for (const answer of answers.sort((a, b) => a.ms - b.ms)) console.log(`${String(answer.ms).padStart(6)} ms  ${answer.path}`)
  console.log(`every figure on screen ${lastFigure} ms after the page opened (target 2000 ms)`)
})
