// The owner's numbers in the shop's words (GLOSSARY.md): tenders, lifecycle stages, value classes.
export const TENDER_LABELS: Record<string, string> = {
  cash: '现金',
  wechat: '微信支付',
  alipay: '支付宝',
  card: '银行卡',
  stored_value: '储值',
  points: '积分',
  coupon: '优惠券',
  package_card: '次卡',
  period_card: '月卡/年卡',
  on_account: '挂账',
}

export const LIFECYCLE_STAGES = ['active', 'at_risk', 'churned', 'new'] as const
export const LIFECYCLE_STAGE_LABELS: Record<string, string> = {
  active: '活跃',
  at_risk: '准流失（6–12 个月）',
  churned: '流失（12 个月以上）',
  new: '新客（未到店）',
}

export const VALUE_CLASSES = ['high', 'medium', 'low', 'none'] as const
export const VALUE_CLASS_LABELS: Record<string, string> = {
  high: '高价值',
  medium: '中价值',
  low: '低价值',
  none: '未分层',
}

export const CATEGORY_LABELS: Record<string, string> = {
  wash: '洗车',
  maintenance: '保养',
  repair: '维修',
  beauty: '美容',
  other: '其他',
  part: '配件',
}

/** The liabilities' daily closing balances the stats API offers (metric → label, and whether it is money). */
export const LIABILITY_SERIES = {
  stored_value_principal_fen: { label: '储值本金', money: true },
  stored_value_bonus_fen: { label: '赠送金额', money: true },
  points_balance: { label: '积分', money: false },
  package_card_items_balance: { label: '次卡剩余次数', money: false },
} as const
export type LiabilityMetric = keyof typeof LIABILITY_SERIES

export function labelOf(labels: Record<string, string>, code: string): string {
  return labels[code] ?? code
}
