// The call list's words (GLOSSARY.md): what the service's codes read as for the care staff.
import type { Schemas } from '@/api/client'

type FollowUp = Schemas['FollowUpRead']
export type FollowUpKind = FollowUp['kind']
export type FollowUpReason = FollowUp['reason']
export type CallResult = NonNullable<Schemas['OutcomeBody']['result']>
export type ChurnReason = NonNullable<Schemas['OutcomeBody']['churn_reason']>

export const KIND_LABELS: Record<FollowUpKind, string> = {
  maintenance_due: '保养提醒',
  first_maintenance: '首保提醒',
  follow_up: '服务回访',
  win_back: '流失召回',
  birthday: '生日关怀',
  booking_reminder: '预约提醒',
  coupon_expiring: '优惠券到期',
  campaign: '营销活动',
  car_ready: '取车通知',
  extra_work_approval: '增项确认',
  insurance_renewal: '续保提醒',
  annual_inspection: '年检提醒',
  member_anniversary: '入会周年',
  purchase_anniversary: '购车周年',
  holiday: '节日问候',
}

/** Why an entry is on the list. */
export const REASON_LABELS: Record<FollowUpReason, string> = {
  no_grant: '未订阅消息',
  not_delivered: '消息未送达',
  no_response: '消息未响应',
  tier_care: '会员关怀',
  callback: '约定回访',
}

/** The outcome's results, in the order the buttons offer them (number keys 1–5). */
export const RESULT_LABELS: Record<CallResult, string> = {
  reached: '已接通',
  booked: '已预约',
  no_answer: '未接通',
  wrong_number: '号码错误',
  lost: '已流失',
}
export const RESULTS = Object.keys(RESULT_LABELS) as CallResult[]

/** The churn reasons the service knows (流失原因). */
export const CHURN_REASON_LABELS: Record<ChurnReason, string> = {
  poor_service: '服务态度',
  repair_quality: '维修质量',
  price: '价格偏高',
  distance: '距离太远/搬迁',
  insurer: '保险/单位指定',
  other: '其他',
}
export const CHURN_REASONS = Object.keys(CHURN_REASON_LABELS) as ChurnReason[]

export const LIFECYCLE_LABELS: Record<string, string> = {
  new: '新客',
  active: '活跃',
  at_risk: '准流失',
  churned: '流失',
}

/** A churn reason makes sense only after a conversation; a lost customer needs one. */
export function churnReasonAllowed(result: CallResult | null | undefined): boolean {
  return result !== null && result !== undefined && result !== 'no_answer' && result !== 'wrong_number'
}

export function churnReasonRequired(result: CallResult | null | undefined): boolean {
  return result === 'lost'
}

/** 粤B12345 → 粤B·12345 (the dot after the province and the letter). */
export function plateText(plate: string | null | undefined): string {
  if (!plate) return '—'
  return plate.length > 2 ? `${plate.slice(0, 2)}·${plate.slice(2)}` : plate
}

/** An ISO date (YYYY-MM-DD) or instant, as the merchant's calendar day. */
export function dayText(value: string | null | undefined): string {
  if (!value) return '—'
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value
  return new Intl.DateTimeFormat('sv-SE', { year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(value))
}
