// The shop's words for the service's codes (GLOSSARY.md), shared by the administration screens.
import type { Schemas } from '@/api/client'

export type StaffRole = Schemas['StaffAccountRead']['role']
export type AuditKind = Schemas['AuditEntryRead']['kind']

export const ROLE_NAMES: Record<StaffRole, string> = {
  cashier: '收银员',
  advisor: '服务顾问',
  technician: '技师',
  marketing: '市场',
  owner: '店长',
}
export const STAFF_ROLES = Object.keys(ROLE_NAMES) as StaffRole[]

export const AUDIT_KIND_NAMES: Record<AuditKind, string> = {
  settings: '规则设置',
  topup_plan: '充值方案',
  tier: '会员等级',
  referral_reward: '推荐奖励',
  catalog_price: '项目与配件价格',
  staff: '员工账号',
  store: '门店',
  balance_adjustment: '储值调整',
  points_adjustment: '积分调整',
  member_tier: '会员等级调整',
  price_override: '改价',
  manual_discount: '手工折扣',
  vehicle_transfer: '车辆过户',
  stock_adjustment: '库存盘点',
  commission_rule: '提成规则',
  mileage_correction: '里程更正',
  discount_limit: '折扣上限',
  account: '挂账客户',
  account_over_limit: '超额挂账批准',
  data_import: '数据导入',
  data_export: '数据导出',
  exchange_reward: '积分兑换商品',
  marketing_settings: '营销规则',
  sms_opt_out: '短信退订',
  sms_settings: '短信提醒设置',
  holiday: '节日日历',
}
export const AUDIT_KINDS = Object.keys(AUDIT_KIND_NAMES) as AuditKind[]
