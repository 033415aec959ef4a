// The audit log's before/after, as people read them: one line per changed field, with the field's
// Chinese name and its values written out (yuan for fen, role and store names, 是/否...).
import { ROLE_NAMES, type StaffRole } from './labels'
import { yuan } from './money'
import { hoursSummary, type Hours } from './storeHours'

type Json = string | number | boolean | null | Json[] | { [key: string]: Json }
export type Changes = Record<string, unknown> | null | undefined

export interface ChangeLine {
  field: string
  label: string
  before: string
  after: string
}

export const FIELD_NAMES: Record<string, string> = {
  // staff accounts
  username: '用户名',
  role: '角色',
  store_ids: '门店',
  is_active: '状态',
  password: '密码',
  // stores
  name: '名称',
  address: '地址',
  phone: '电话',
  bays: '工位数',
  slot_minutes: '预约时段（分钟）',
  opening_hours: '营业时间',
  closed_dates: '休息日',
  booking_cancel_cutoff_minutes: '取消预约截止（分钟）',
  allow_negative_stock: '允许负库存',
  labor_rate_fen: '工时单价',
  // merchant settings
  timezone: '时区',
  points_per_yuan: '每元积分',
  points_per_yuan_redeemed: '抵 1 元所需积分',
  points_max_redeem_percent: '积分最高抵扣（%）',
  points_valid_months: '积分有效期（月）',
  at_risk_after_days: '准流失天数',
  churned_after_days: '流失天数',
  referral_welcome_coupon_template_id: '新客欢迎券',
  referral_reward_points: '推荐人奖励积分',
  referral_reward_coupon_template_id: '推荐人奖励券',
  referral_min_order_fen: '奖励所需最低消费',
  referral_reward_freeze_days: '奖励冻结天数',
  referral_monthly_cap: '每月推荐上限',
  referral_share_page: '分享落地页',
  topup_bonus_max_percent: '充值赠送上限（%）',
  tier_labor_discount_max_percent: '等级工时折扣上限（%）',
  tier_parts_discount_max_percent: '等级配件折扣上限（%）',
  referral_reward_max_points: '推荐奖励积分上限',
  console_lock_minutes: '锁屏时间（分钟）',
  // marketing rules and the holiday calendar
  birthday_coupons: '生日券',
  birthday_call_min_tier_rank: '生日电话关怀最低等级',
  win_back_coupon_template_id: '流失挽回券',
  win_back_interval_days: '流失挽回间隔（天）',
  first_maintenance_months: '首保提醒（月）',
  insurance_reminder_days: '续保提醒（提前天数）',
  inspection_reminder_days: '年检提醒（提前天数）',
  day: '日期',
  days_before: '提前天数',
  coupon_template_id: '优惠券',
  active: '启用',
  // discount limits, prices, balances
  max_percent: '最多折扣（%）',
  max_fen: '最多优惠金额',
  price_fen: '价格',
  unit_price_fen: '单价',
  pay_fen: '实付',
  bonus_fen: '赠送金额',
  value_fen: '面额',
  rank: '等级次序',
  labor_discount_percent: '工时折扣（%）',
  parts_discount_percent: '配件折扣（%）',
  tier_id: '会员等级',
  points: '积分',
  mileage_km: '里程（公里）',
  member_id: '会员',
  kind: '类型',
  value: '数值',
  reason: '原因',
  // catalog, coupons, plans, tiers, commission
  category: '类别',
  sku: '配件编号',
  percent_off: '折扣（%）',
  max_off_fen: '最多优惠',
  threshold_fen: '满减门槛',
  grants_tier_id: '充值后升级到',
  points_multiplier: '积分倍数',
  min_spend_12m_fen: '近 12 个月消费达到',
  care_note: '关怀方式',
  counter_assignable: '前台可设置',
  method: '提成方式',
  percent: '比例（%）',
  fixed_fen: '固定金额',
  service_item_id: '服务项目',
  part_id: '配件',
  // balances, stock, cars
  principal_fen: '本金',
  balance_fen: '余额',
  paid_via: '支付方式',
  on_hand: '库存数量',
  plate: '车牌号',
  model: '车型',
  vin: '车架号',
  quantity: '数量',
  labor_hours_x100: '工时（×100）',
}

// Choice values the service records, in the shop's words.
const VALUE_NAMES: Record<string, string> = {
  cash_off: '满减券',
  percent_off: '折扣券',
  item_voucher: '项目券',
  unit_price: '改单价',
  cash: '现金',
  wechat: '微信',
  alipay: '支付宝',
  card: '银行卡',
  wash: '洗车',
  maintenance: '保养',
  repair: '维修',
  beauty: '美容',
  other: '其他',
}

const PASSWORD_VALUES: Record<string, string> = { old: '原密码', new: '新密码' }

export interface Lookups {
  storeName?: (id: number) => string | undefined
}

function plain(value: Json): string {
  if (value === null) return '—'
  if (typeof value === 'boolean') return value ? '是' : '否'
  if (Array.isArray(value)) return value.length ? value.map(plain).join('、') : '（无）'
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

/** One field's value as text. */
export function valueText(field: string, value: unknown, lookups: Lookups = {}): string {
  const json = (value === undefined ? null : value) as Json
  if (json === null) return '—'
  if (field.endsWith('_fen') && typeof json === 'number') return yuan(json)
  if (field === 'is_active' && typeof json === 'boolean') return json ? '在用' : '已停用'
  if (typeof json === 'string' && ['kind', 'paid_via', 'category', 'method'].includes(field)) return VALUE_NAMES[json] ?? json
  if (field === 'role' && typeof json === 'string') return ROLE_NAMES[json as StaffRole] ?? json
  if (field === 'password' && typeof json === 'string') return PASSWORD_VALUES[json] ?? json
  if (field === 'opening_hours' && typeof json === 'object' && !Array.isArray(json)) return hoursSummary(json as Hours)
  if (field === 'store_ids' && Array.isArray(json)) {
    return json.length ? json.map((id) => (typeof id === 'number' ? (lookups.storeName?.(id) ?? `门店 ${id}`) : plain(id))).join('、') : '（无）'
  }
  return plain(json)
}

/** Every changed field of an entry, before and after ("—" where a side has none: created or removed). */
export function changeLines(before: Changes, after: Changes, lookups: Lookups = {}): ChangeLine[] {
  const fields = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})])]
  return fields.map((field) => ({
    field,
    label: FIELD_NAMES[field] ?? field,
    before: before ? valueText(field, before[field], lookups) : '—',
    after: after ? valueText(field, after[field], lookups) : '—',
  }))
}
