// The glossary's words for the accounts' choices (挂账).
export const ACCOUNT_KIND_LABELS: Record<string, string> = { company: '企业', fleet: '车队', insurer: '保险公司' }
export const ACCOUNT_STATUS_LABELS: Record<string, string> = { active: '正常', suspended: '已停用' }
export const REPAID_VIA_LABELS: Record<string, string> = {
  transfer: '银行转账',
  cash: '现金',
  wechat: '微信',
  alipay: '支付宝',
  card: '银行卡',
  cheque: '支票',
}
export const AGEING_BUCKETS: { key: 'not_due_fen' | 'days_0_30_fen' | 'days_31_60_fen' | 'days_61_90_fen' | 'days_over_90_fen'; label: string }[] = [
  { key: 'not_due_fen', label: '未到期' },
  { key: 'days_0_30_fen', label: '逾期0–30天' },
  { key: 'days_31_60_fen', label: '31–60天' },
  { key: 'days_61_90_fen', label: '61–90天' },
  { key: 'days_over_90_fen', label: '90天以上' },
]
