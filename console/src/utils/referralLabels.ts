// Referral words (GLOSSARY.md: 转介绍 / 推荐有礼, referrer 推荐人) for the codes the service answers.
import type { Schemas } from '@/api/client'

export type ReferralStatus = Schemas['ReferralRead']['status']
export type RewardStatus = NonNullable<Schemas['ReferralRead']['reward']>['status']
export type RefusalReason = Schemas['RefusalRead']['reason']

export const REFERRAL_STATUS_LABELS: Record<ReferralStatus, string> = {
  pending: '待首单',
  converted: '已转化',
  reversed: '已撤销（首单退款）',
  refused: '未采纳',
}

export const REWARD_STATUS_LABELS: Record<RewardStatus, string> = {
  frozen: '冻结中',
  released: '已发放',
  cancelled: '已取消',
  reversed: '已追回',
}

export const REFUSAL_REASON_LABELS: Record<string, string> = {
  unknown_code: '推荐码不存在',
  self_referral: '不能推荐自己',
  already_referred: '已被他人推荐',
  already_visited: '已是到店客户',
  circular: '互相推荐',
  same_phone: '与推荐人同一手机号',
  monthly_cap: '推荐人本月已达上限',
}

export const REFUSAL_REASONS = Object.keys(REFUSAL_REASON_LABELS)

/** The tag colour of a reward: money is owed (frozen), given, or not. */
export function rewardTone(status: RewardStatus | null | undefined): 'warning' | 'success' | 'info' | 'danger' {
  if (status === 'frozen') return 'warning'
  if (status === 'released') return 'success'
  if (status === 'reversed') return 'danger'
  return 'info'
}
