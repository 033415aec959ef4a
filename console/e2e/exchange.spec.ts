// 积分兑换: the owner adds a part to the exchange catalog, a member redeems it with points in the
// mini-program (through the API here), the counter hands it over and the store's stock goes down;
// marketing restocks and takes a reward off the shelf but cannot change its points price.
import type { APIRequestContext } from '@playwright/test'
import { chooseOption, expect, signIn, staffApi, test } from './fixtures'
import { newTag } from './shop'

async function newPart(request: APIRequestContext, tag: string) {
  const owner = await staffApi(request, 'owner')
  return owner.post<{ id: number; name: string; sku: string }>('/parts', { name: `雨刮片${tag}`, sku: `WIPER-${tag}`, price_fen: 8000, stock: 5, store_id: 1 })
}

async function memberWithPoints(request: APIRequestContext, points: number) {
  const login = await request.post('/api/v1/auth/wechat/login', { data: { code: `exchange-${crypto.randomUUID()}` } })
  expect(login.ok(), await login.text()).toBeTruthy()
  const { token, member } = (await login.json()) as { token: string; member: { id: number } }
  const owner = await staffApi(request, 'owner')
  await owner.post(`/members/${member.id}/points/adjustments`, { points, reason: '积分兑换测试' })
  return { token, memberId: member.id }
}

test('the owner adds a part, a member redeems it, the counter hands it over and the stock goes down', async ({ page, request }) => {
  const tag = newTag()
  const part = await newPart(request, tag)
  await signIn(page, request, 'owner', '/console/exchange')

  await page.getByTestId('reward-new').click()
  await page.getByTestId('reward-name').fill(`兑换雨刮${tag}`)
  await chooseOption(page, page.getByTestId('reward-kind'), '配件（到店领取）')
  await chooseOption(page, page.getByTestId('reward-target'), `${part.name}（${part.sku}）`)
  await page.getByTestId('reward-points').fill('800')
  await page.getByTestId('reward-stock').fill('2')
  await page.getByTestId('reward-save').click()
  // The list shows the new reward once the service has saved it; only then is it asked for.
  await expect(page.getByRole('cell', { name: `兑换雨刮${tag}`, exact: true })).toBeVisible()

  const owner = await staffApi(request, 'owner')
  const rewards = await owner.get<{ items: { id: number; name: string; points_price: number; total_stock: number }[] }>('/exchange-rewards?per_page=100')
  const reward = rewards.items.find((r) => r.name === `兑换雨刮${tag}`)!
  expect(reward).toMatchObject({ points_price: 800, total_stock: 2 })
  await expect(page.getByTestId(`reward-stock-${reward.id}`)).toHaveText('2 / 2')

  // The member redeems it in the mini-program.
  const { token, memberId } = await memberWithPoints(request, 1000)
  const redeemed = await request.post('/api/v1/me/exchange-redemptions', {
    headers: { Authorization: `Bearer ${token}`, 'Idempotency-Key': crypto.randomUUID() },
    data: { reward_id: reward.id },
  })
  expect(redeemed.status(), await redeemed.text()).toBe(201)
  const redemption = (await redeemed.json()) as { id: number; status: string }
  expect(redemption.status).toBe('awaiting_pickup')

  // The counter of store 1 hands it over.
  const cashier = await staffApi(request, 'cashier1')
  expect((await cashier.get<{ stock: number }>(`/parts/${part.id}`)).stock).toBe(5)
  // A tab of its own: the console keeps its session per tab.
  const counterPage = await page.context().newPage()
  await signIn(counterPage, request, 'cashier1', '/console/exchange')
  await expect(counterPage.getByRole('tab', { name: '兑换商品' })).toHaveCount(0)
  await expect(counterPage.getByTestId(`redemption-status-${redemption.id}`)).toHaveText('待领取')
  await counterPage.getByTestId(`redemption-hand-over-${redemption.id}`).click()
  await chooseOption(counterPage, counterPage.getByTestId('redemption-status'), '全部')
  await expect(counterPage.getByTestId(`redemption-status-${redemption.id}`)).toHaveText('已领取')

  expect((await cashier.get<{ stock: number }>(`/parts/${part.id}`)).stock).toBe(4)
  const listed = await cashier.get<{ items: { id: number; status: string; store_id: number; member_id: number }[] }>(`/exchange-redemptions?member_id=${memberId}`)
  expect(listed.items[0]).toMatchObject({ id: redemption.id, status: 'collected', store_id: 1 })
})

test('marketing restocks a reward and takes it off the shelf; the points price stays the owner’s', async ({ page, request }) => {
  const tag = newTag()
  const part = await newPart(request, tag)
  const owner = await staffApi(request, 'owner')
  const reward = await owner.post<{ id: number }>('/exchange-rewards', { name: `机滤${tag}`, kind: 'part', part_id: part.id, points_price: 300, total_stock: 3 })
  await signIn(page, request, 'marketing', '/console/exchange')

  await expect(page.getByTestId('reward-new')).toHaveCount(0)
  await page.getByTestId(`reward-edit-${reward.id}`).click()
  await expect(page.getByTestId('reward-points')).toBeDisabled()
  await page.getByTestId('reward-stock').fill('10')
  await page.getByTestId('reward-save').click()
  await expect(page.getByTestId(`reward-stock-${reward.id}`)).toHaveText('10 / 10')
  await page.getByTestId(`reward-toggle-${reward.id}`).click()
  await expect(page.getByTestId(`reward-status-${reward.id}`)).toHaveText('已下架')

  const saved = await owner.get(`/exchange-rewards/${reward.id}`)
  expect(saved).toMatchObject({ points_price: 300, total_stock: 10, is_active: false })
})
