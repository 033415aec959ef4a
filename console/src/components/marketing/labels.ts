// The shop's words for the marketing screens' codes (GLOSSARY.md).
import type { Schemas } from '@/api/client'
import { yuan } from '@/utils/money'
import { LIFECYCLE_OPTIONS } from '@/utils/segmentRules'

export const LIFECYCLE_LABELS: Record<string, string> = Object.fromEntries(LIFECYCLE_OPTIONS.map((o) => [o.value, o.label]))

export const CAMPAIGN_STATUS_LABELS: Record<Schemas['CampaignRead']['status'], string> = {
  scheduled: '待发送',
  sent: '已发出',
  cancelled: '已取消',
}

export const COUPON_KIND_LABELS: Record<Schemas['CouponTemplateRead']['kind'], string> = {
  cash_off: '满减券',
  percent_off: '折扣券',
  item_voucher: '项目券',
}

export const CATEGORY_LABELS: Record<string, string> = {
  wash: '洗车',
  maintenance: '保养',
  repair: '维修',
  beauty: '美容',
  other: '其他',
}

export const TEMPLATE_KEY_LABELS: Record<string, string> = {
  campaign: '活动通知',
  birthday_greeting: '生日关怀',
  maintenance_due: '保养到期提醒',
  win_back_offer: '权益提醒（召回）',
  service_follow_up: '服务回访',
  booking_reminder: '预约提醒',
  coupon_expiring: '优惠券到期提醒',
}

type CouponTemplate = Pick<
  Schemas['CouponTemplateRead'],
  'kind' | 'value_fen' | 'percent_off' | 'max_off_fen' | 'threshold_fen' | 'valid_days' | 'valid_from' | 'valid_until'
>

/** "满 ¥100.00 减 ¥20.00 · 领取后 30 天有效": what a coupon template says it gives (the service values it). */
export function describeCoupon(template: CouponTemplate, itemName?: string): string {
  const threshold = template.threshold_fen ? `满 ${yuan(template.threshold_fen)} ` : ''
  let value: string
  if (template.kind === 'cash_off') value = `${threshold}减 ${yuan(template.value_fen)}`
  else if (template.kind === 'percent_off')
    value = `${threshold}优惠 ${template.percent_off}%${template.max_off_fen ? `（最多减 ${yuan(template.max_off_fen)}）` : ''}`
  else value = `兑换 ${itemName ?? '指定项目'} 一次`
  const validity = template.valid_days ? `领取后 ${template.valid_days} 天有效` : `${template.valid_from ?? '—'} 至 ${template.valid_until ?? '—'}`
  return `${value} · ${validity}`
}
