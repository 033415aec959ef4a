// The shop's words (GLOSSARY.md) for the codes the service answers with, as the car and member
// screens show them.
import type { Schemas } from '@/api/client'

export const LIFECYCLE_LABELS: Record<Schemas['MemberStaffRead']['lifecycle'], string> = {
  new: '新客',
  active: '活跃',
  at_risk: '准流失',
  churned: '流失',
}

/** 价值分层: the top 20 % of members by ticket, visits and interval are 高价值 (app/members/metrics.py). */
export const VALUE_CLASS_LABELS: Record<Schemas['MemberStaffRead']['value_class'], string> = {
  high: '高价值',
  medium: '中价值',
  low: '低价值',
  none: '未分层',
}

export const WORK_ORDER_STATUS_LABELS: Record<Schemas['WorkOrderRead']['status'], string> = {
  open: '待施工',
  in_progress: '施工中',
  completed: '待结算',
  paying: '支付中',
  settled: '已结算',
  cancelled: '已取消',
  refunded: '已退款',
}

/** Orders not yet settled, cancelled or refunded: the car's current visit. */
export const UNSETTLED_STATUSES: ReadonlySet<Schemas['WorkOrderRead']['status']> = new Set(['open', 'in_progress', 'completed', 'paying'])

export const COUPON_KIND_LABELS: Record<Schemas['CouponTemplateBrief']['kind'], string> = {
  cash_off: '满减券',
  percent_off: '折扣券',
  item_voucher: '项目券',
}

/** The tag colour of a lifecycle: the ones to win back stand out. */
export const LIFECYCLE_TAG: Record<Schemas['MemberStaffRead']['lifecycle'], 'success' | 'warning' | 'danger' | 'info'> = {
  new: 'info',
  active: 'success',
  at_risk: 'warning',
  churned: 'danger',
}

/** A phone number as the counter reads it out loud on a shared screen: 尾号5678. */
export function phoneTail(phone: string | null | undefined): string {
  return phone ? `尾号${phone.slice(-4)}` : ''
}

const dateFormat = new Intl.DateTimeFormat('zh-CN', { year: 'numeric', month: '2-digit', day: '2-digit' })

/** A date or a time of the service as a date (2025/06/01). */
export function formatDate(value: string | null | undefined): string {
  if (!value) return '—'
  // A plain date (YYYY-MM-DD) is a day, not an instant: shown as it is.
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value.replace(/-/g, '/')
  return dateFormat.format(new Date(value))
}

/** How the annual-inspection rule applies to a car (年检类别); unrecorded is taken as the first. */
export const INSPECTION_CLASS_LABELS: Record<'small_passenger' | 'van' | 'commercial', string> = {
  small_passenger: '非营运小型客车',
  van: '面包车',
  commercial: '营运车辆',
}
