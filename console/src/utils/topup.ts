// The counter top-up form: a plan (充X送Y) or an amount typed in yuan, and how the member paid.
// The service decides the bonus (a plan's, or the plan whose price equals the amount typed).
import type { Schemas } from '@/api/client'
import { parseYuan } from './money'
import { PAID_VIA_ORDER, type PaidVia } from './tillLabels'

export type TopupChoice = { kind: 'plan'; plan: Schemas['TopupPlanRead'] } | { kind: 'amount'; text: string } | null

/** Keys for the payment methods at the counter (pinyin initials the cashiers know). */
export const PAID_VIA_KEYS: Record<PaidVia, string> = { cash: 'x', wechat: 'w', alipay: 'z', card: 'k' }

/** '1'…'9' pick the first nine plans shown; anything else picks none. */
export function planIndexForKey(key: string, planCount: number): number | null {
  if (!/^[1-9]$/.test(key)) return null
  const index = Number(key) - 1
  return index < planCount ? index : null
}

export function paidViaForKey(key: string): PaidVia | null {
  const lower = key.toLowerCase()
  return PAID_VIA_ORDER.find((via) => PAID_VIA_KEYS[via] === lower) ?? null
}

export function topupBody(
  choice: TopupChoice,
  paidVia: PaidVia | null,
  storeId: number | null,
): { ok: true; body: Schemas['CounterTopup'] } | { ok: false; error: string } {
  if (choice === null) return { ok: false, error: '请选择充值方案或输入金额' }
  if (paidVia === null) return { ok: false, error: '请选择支付方式' }
  const place = storeId === null ? {} : { store_id: storeId }
  if (choice.kind === 'plan') {
    return { ok: true, body: { amount_fen: choice.plan.pay_fen, plan_id: choice.plan.id, paid_via: paidVia, ...place } }
  }
  const amount = parseYuan(choice.text)
  if (amount === null || amount <= 0) return { ok: false, error: '请输入充值金额（元，最多两位小数）' }
  return { ok: true, body: { amount_fen: amount, paid_via: paidVia, ...place } }
}
