// Import and export screens: labels for the service's kinds and states, the file name a download
// carries, and whether a job is still running. Display only: every count, amount and status is the
// service's.
import type { Schemas } from '@/api/client'

export type ImportKind = Schemas['ImportRead']['kind']
export type ExportKind = Schemas['ExportRead']['kind']
export type ExportFormat = Schemas['ExportRead']['format']

export const IMPORT_KINDS: { value: ImportKind; label: string; hint: string }[] = [
  { value: 'members', label: '会员与车辆', hint: '会员、车辆、标签、等级，以及储值、积分和消费记录' },
  { value: 'stored_value', label: '储值余额', hint: '给已有会员补入储值（本金、赠送金额）' },
  { value: 'points', label: '积分', hint: '给已有会员补入积分' },
  { value: 'visits', label: '消费记录', hint: '到店次数、累计消费、最近到店，用于生命周期和价值分层' },
  { value: 'package_cards', label: '套餐卡', hint: '已有会员的套餐卡和剩余次数（卡名、项目须先在系统里建好）' },
  { value: 'coupons', label: '优惠券', hint: '已有会员持有的优惠券（券名须先在系统里建好）' },
]

export const EXPORT_KINDS: { value: ExportKind; label: string }[] = [
  { value: 'members', label: '会员（可再导入）' },
  { value: 'vehicles', label: '车辆' },
  { value: 'balances', label: '储值余额' },
  { value: 'points', label: '积分' },
  { value: 'cards', label: '套餐卡' },
  { value: 'coupons', label: '优惠券' },
  { value: 'work_orders', label: '工单' },
]

const IMPORT_STATUS: Record<Schemas['ImportRead']['status'], string> = {
  validated: '已预检查',
  queued: '排队中',
  running: '导入中',
  committed: '已导入',
  failed: '导入失败',
  undone: '已撤销',
}

const EXPORT_STATUS: Record<Schemas['ExportRead']['status'], string> = {
  queued: '排队中',
  running: '生成中',
  ready: '可下载',
  failed: '失败',
  expired: '已过期（文件已删除）',
}

const ACTIONS: Record<Schemas['ImportPreviewRead']['action'], string> = { create: '新建', merge: '合并', skip: '跳过（已导入过）' }

const UNDO_REASONS: Record<string, string> = {
  balance_used: '导入的储值已被使用（消费、充值或调整）',
  points_used: '导入的积分已有变动',
  member_has_work_orders: '导入的会员已有工单',
  member_referenced: '导入的会员已被其他记录引用',
}

export const importStatusLabel = (status: Schemas['ImportRead']['status']) => IMPORT_STATUS[status] ?? status
export const exportStatusLabel = (status: Schemas['ExportRead']['status']) => EXPORT_STATUS[status] ?? status
export const actionLabel = (action: Schemas['ImportPreviewRead']['action']) => ACTIONS[action] ?? action
export const undoReasonLabel = (reason: unknown) => (typeof reason === 'string' && UNDO_REASONS[reason]) || ''

/** A commit still to be waited for (queued or running). */
export const importPending = (status: Schemas['ImportRead']['status']) => status === 'queued' || status === 'running'
export const exportPending = (status: Schemas['ExportRead']['status']) => status === 'queued' || status === 'running'

/** Progress of a commit in whole percent, from the service's rows_done and row_count. */
export function progressPercent(batch: Pick<Schemas['ImportRead'], 'rows_done' | 'row_count' | 'status'>): number {
  if (batch.status === 'committed') return 100
  if (!batch.row_count) return 0
  return Math.min(100, Math.floor((batch.rows_done * 100) / batch.row_count))
}

/** The file name of a download: RFC 5987 `filename*` first (Chinese names), then `filename`, then the fallback. */
export function filenameFrom(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback
  const extended = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(disposition)
  if (extended) {
    try {
      return decodeURIComponent((extended[1] ?? '').trim())
    } catch {
      // fall through to the plain name
    }
  }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(disposition)
  return plain?.[1] ? plain[1].trim() : fallback
}
