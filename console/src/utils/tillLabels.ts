// The shop's words for how money came in and went out (GLOSSARY.md). Keyed by the service's enums,
// so a tender or payment method added to the document without a label here does not compile.
import type { Schemas } from '@/api/client'

export type TenderType = Schemas['WorkOrderPaymentRead']['type']
export type PaidVia = Schemas['CounterTopup']['paid_via']
/** The till's tender keys: the order tenders plus WeChat Pay taken in the mini-program. */
export type TillTender = TenderType | 'wechat_mini_program'

export const PAID_VIA_LABELS: Record<PaidVia, string> = {
  cash: '现金',
  wechat: '微信',
  alipay: '支付宝',
  card: '银行卡',
}

export const TENDER_LABELS: Record<TillTender, string> = {
  ...PAID_VIA_LABELS,
  wechat_mini_program: '微信支付(小程序)',
  stored_value: '储值',
  points: '积分抵扣',
  coupon: '优惠券',
  package_card: '次卡',
  period_card: '月卡/年卡',
  on_account: '挂账',
}

/** Money that passes through the till or a payment terminal, in the order the till lists it. */
export const MONEY_TENDERS: TillTender[] = ['cash', 'wechat', 'alipay', 'card', 'wechat_mini_program']
/** Member instruments spent at the counter. */
export const INSTRUMENT_TENDERS: TillTender[] = ['stored_value', 'points', 'coupon', 'package_card', 'period_card']
export const PAID_VIA_ORDER: PaidVia[] = ['cash', 'wechat', 'alipay', 'card']

export function tenderLabel(type: string): string {
  return (TENDER_LABELS as Record<string, string>)[type] ?? type
}
