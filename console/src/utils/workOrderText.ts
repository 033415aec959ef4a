// The words the counter shows for a work order's states (GLOSSARY.md), and the refusals that need
// more than the error catalogue's one line. Typed by the generated schema: a new status or tender
// kind in the API does not compile until it has its label here.
import type { ApiError, Schemas } from '@/api/client'
import { yuan } from '@/utils/money'

export type WorkOrderStatus = Schemas['WorkOrderRead']['status']
export type Approval = Schemas['WorkOrderLineRead']['approval']
export type TenderType = Schemas['WorkOrderTender']['type']
export type LineKind = Schemas['WorkOrderLineRead']['kind']

export const STATUS_LABELS: Record<WorkOrderStatus, string> = {
  open: '待施工',
  in_progress: '施工中',
  completed: '已完工',
  paying: '车主支付中',
  settled: '已结算',
  cancelled: '已取消',
  refunded: '已退款',
}

export const STATUS_TAGS: Record<WorkOrderStatus, 'info' | 'warning' | 'success' | 'danger' | 'primary'> = {
  open: 'info',
  in_progress: 'warning',
  completed: 'primary',
  paying: 'warning',
  settled: 'success',
  cancelled: 'danger',
  refunded: 'danger',
}

export const APPROVAL_LABELS: Record<Approval, string> = {
  not_needed: '',
  pending: '待车主确认',
  approved: '车主已同意',
  declined: '车主已拒绝',
}

export const TENDER_LABELS: Record<TenderType, string> = {
  stored_value: '储值',
  points: '积分',
  coupon: '优惠券',
  package_card: '次卡',
  period_card: '月卡/年卡',
  cash: '现金',
  wechat: '微信',
  alipay: '支付宝',
  card: '银行卡',
  on_account: '挂账',
}

export const LINE_KIND_LABELS: Record<LineKind, string> = {
  labor: '工时',
  part: '配件',
  hourly: '工时(按小时)',
  custom: '自定义项目',
}

/** The status changes staff make by hand from each status, with their button words. */
export const STATUS_ACTIONS: Partial<Record<WorkOrderStatus, { to: 'in_progress' | 'completed' | 'cancelled'; label: string }[]>> = {
  open: [
    { to: 'in_progress', label: '开工' },
    { to: 'completed', label: '完工' },
    { to: 'cancelled', label: '取消工单' },
  ],
  in_progress: [
    { to: 'completed', label: '完工' },
    { to: 'cancelled', label: '取消工单' },
  ],
  completed: [
    { to: 'in_progress', label: '返工' },
    { to: 'cancelled', label: '取消工单' },
  ],
}

/** Lines can be added and removed while the work has not been completed. */
export function linesEditable(status: WorkOrderStatus): boolean {
  return status === 'open' || status === 'in_progress'
}

/** Prices, technicians and approvals can change until the order is paid or cancelled. */
export function orderEditable(status: WorkOrderStatus): boolean {
  return status === 'open' || status === 'in_progress' || status === 'completed'
}

function detail(error: ApiError, name: string): number | null {
  const value = error.details[name]
  return typeof value === 'number' ? value : null
}

/**
 * The message for a refused manual discount. Above the role's limit the cashier reads the limit
 * the owner set (from the refusal's details) and that the owner gives such a discount.
 */
export function discountRefusal(error: ApiError): string {
  if (error.code !== 'discount_needs_owner_approval') return error.message
  const percent = detail(error, 'max_percent')
  const maxFen = detail(error, 'max_fen')
  const asked = detail(error, 'discount_fen')
  const limit = percent !== null && maxFen !== null ? `你的改价权限为最多 ${percent}%、且不超过 ${yuan(maxFen)}` : '超出你的改价权限'
  const wanted = asked !== null ? `，本次优惠 ${yuan(asked)}` : ''
  return `需店长审批：${limit}${wanted}。请店长登录后给出这个折扣。`
}

/** A stored plate as staff read it: 粤B12345 → 粤B·12345 (display only; the server stores it bare). */
export function platePrinted(plate: string): string {
  return plate.length > 2 && !plate.includes('·') ? `${plate.slice(0, 2)}·${plate.slice(2)}` : plate
}
