// The shop's words for the points exchange (积分兑换): what a reward is and where a redemption stands.
import type { Schemas } from '@/api/client'

export type RewardKind = Schemas['ExchangeRewardRead']['kind']
export type RedemptionStatus = Schemas['ExchangeRedemptionStaffRead']['status']

export const REWARD_KIND_LABELS: Record<RewardKind, string> = {
  coupon: '优惠券',
  service_item: '服务项目（项目券）',
  part: '配件（到店领取）',
}

export const REDEMPTION_STATUS_LABELS: Record<RedemptionStatus, string> = {
  issued: '已发放',
  awaiting_pickup: '待领取',
  collected: '已领取',
  cancelled: '已取消',
}
