// Visits every screen of the console as the staff member who uses it, with a little data made
// through the API first (a member's car, an open order, a settled one), and saves a screenshot.
import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect, test, type Page } from '@playwright/test'
import { signIn, staffApi } from '../e2e/fixtures'

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
    ['templates', 'marketing', '/console/templates'],
    ['follow-ups', 'marketing', '/console/follow-ups'],
    ['complaints', 'owner', '/console/complaints'],
    ['referrals', 'marketing', '/console/referrals'],
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
})
