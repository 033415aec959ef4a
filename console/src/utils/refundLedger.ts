// What a settled work order did to each ledger, and what its refund gives back, in the shop's
// words — read from the order the service returns (its payments, lines and points earned) and the
// member's ledger entries under the order's reference. Nothing is recomputed: every figure shown
// is one the service recorded (an entry's principal and bonus are shown without their sign).
import type { Schemas } from '@/api/client'
import { yuan } from './money'
import { tenderLabel } from './tillLabels'

type Order = Schemas['WorkOrderRead']
type WalletEntry = Schemas['WalletEntryStaffRead']
type PointsEntry = Schemas['PointsEntryStaffRead']

export interface LedgerRow {
  key: string
  ledger: string
  settled: string
  reversal: string
}

/** The order's reference on the member's ledgers (a settle at the counter). */
export const ORDER_REF_TYPE = 'work_order'

function ofOrder<T extends { ref_type: string | null; ref_id: number | null }>(entries: T[], orderId: number): T[] {
  return entries.filter((entry) => entry.ref_type === ORDER_REF_TYPE && entry.ref_id === orderId)
}

const shown = (fen: number) => yuan(Math.abs(fen))

function storedValueText(amountFen: number, spend: WalletEntry | undefined): string {
  if (!spend) return `扣储值 ${yuan(amountFen)}`
  return `扣储值 ${shown(spend.amount_fen)}（本金 ${shown(spend.principal_fen)}，赠送 ${shown(spend.bonus_fen)}）`
}

function paymentRow(payment: Order['payments'][number], spend: WalletEntry | undefined): LedgerRow {
  const key = `payment-${payment.id}`
  const amount = yuan(payment.amount_fen)
  switch (payment.type) {
    case 'stored_value':
      return {
        key,
        ledger: '储值',
        settled: storedValueText(payment.amount_fen, spend),
        reversal: spend ? `退回储值 ${shown(spend.amount_fen)}（本金 ${shown(spend.principal_fen)}，赠送 ${shown(spend.bonus_fen)}）` : `退回储值 ${amount}，本金与赠送按扣减时原路退回`,
      }
    case 'points':
      return { key, ledger: '积分', settled: `积分抵扣 ${payment.points ?? 0} 分（抵 ${amount}）`, reversal: `退回 ${payment.points ?? 0} 积分` }
    case 'coupon':
      return { key, ledger: '优惠券', settled: `使用优惠券 #${payment.member_coupon_id ?? '—'}（抵 ${amount}）`, reversal: '恢复该优惠券（已过期的不再恢复）' }
    case 'package_card':
      return { key, ledger: '次卡', settled: `次卡 #${payment.card_id ?? '—'} 使用 1 次（抵 ${amount}）`, reversal: '退回次卡 1 次' }
    case 'period_card':
      return { key, ledger: '月卡/年卡', settled: `月卡/年卡 #${payment.card_id ?? '—'} 使用 1 次（抵 ${amount}）`, reversal: '退回月卡/年卡 1 次（当日次数恢复）' }
    case 'cash':
      return { key, ledger: '现金', settled: `收 ${amount}`, reversal: `记为现金退款 ${amount}，请从钱箱退还顾客` }
    default:
      return {
        key,
        ledger: tenderLabel(payment.type),
        settled: `收 ${amount}`,
        reversal: `记为退款 ${amount}；柜台收取的请通过原渠道退还，小程序微信支付由系统原路退回`,
      }
  }
}

/** One row per ledger the settle touched, in the order the counter reads them. */
export function refundLedgerRows(order: Order, walletEntries: WalletEntry[], pointsEntries: PointsEntry[]): LedgerRow[] {
  const spends = ofOrder(walletEntries, order.id).filter((entry) => entry.kind === 'spend')
  const rows = order.payments.filter((payment) => payment.status === 'posted').map((payment) => paymentRow(payment, payment.type === 'stored_value' ? spends.shift() : undefined))
  const earned = ofOrder(pointsEntries, order.id).find((entry) => entry.kind === 'earn')
  if (order.points_earned > 0 || earned) {
    const points = earned?.points ?? order.points_earned
    rows.push({ key: 'points-earned', ledger: '积分（本单赠送）', settled: `赠送 ${points} 积分`, reversal: `扣回 ${points} 积分（已用掉的部分记为欠扣，余额不会扣成负数）` })
  }
  for (const line of order.lines) {
    if (line.kind !== 'part' || line.approval === 'declined') continue
    rows.push({ key: `line-${line.id}`, ledger: '库存', settled: `出库 ${line.name} × ${line.quantity}`, reversal: '退回本店库存' })
  }
  if (order.lines.some((line) => line.technicians.length > 0)) {
    rows.push({ key: 'commission', ledger: '提成', settled: '技师提成已记入', reversal: '冲回本单提成' })
  }
  if (order.member_id !== null) {
    rows.push({ key: 'visit', ledger: '会员消费记录', settled: `记一次到店消费 ${yuan(order.paid_fen)}`, reversal: '撤销本次到店消费（回站次数、消费金额）；会员等级不因退款下调' })
  }
  return rows
}

/** The entries the refund wrote on the member's ledgers (reversals of the order's entries). */
export function reversalEntries<T extends { id: number; kind: string; reverses_entry_id: number | null }>(entries: T[], originals: T[]): T[] {
  const ids = new Set(originals.map((entry) => entry.id))
  return entries.filter((entry) => entry.kind === 'reversal' && entry.reverses_entry_id !== null && ids.has(entry.reverses_entry_id))
}

export function orderEntries<T extends { ref_type: string | null; ref_id: number | null }>(entries: T[], orderId: number): T[] {
  return ofOrder(entries, orderId)
}
