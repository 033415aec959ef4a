// The workshop board (车间看板): where each work order stands, as the service reports it, and
// the card the board shows for it. Display only: the columns follow the order's status and its
// lines' approval state; nothing here decides what an order may do.
import type { Schemas } from '@/api/client'

type WorkOrder = Schemas['WorkOrderRead']

export type BoardColumnKey = 'waiting' | 'working' | 'approval' | 'ready' | 'settled'

export const BOARD_COLUMNS: { key: BoardColumnKey; title: string }[] = [
  { key: 'waiting', title: '待施工' },
  { key: 'working', title: '施工中' },
  { key: 'approval', title: '待确认' },
  { key: 'ready', title: '待结算/已完工' },
  { key: 'settled', title: '已结算' },
]

/**
 * open → 待施工, in_progress → 施工中, completed (and paying: the member pays in the mini-program)
 * → 待结算/已完工, settled → 已结算. Extra work waiting for the member (增项确认) takes an unfinished
 * order to 待确认 whatever its status, since nothing can be settled until the member answers.
 * Cancelled and refunded orders are not on the board.
 */
export function columnOf(order: Pick<WorkOrder, 'status' | 'pending_line_ids'>): BoardColumnKey | null {
  const awaitingMember = order.pending_line_ids.length > 0
  switch (order.status) {
    case 'open':
      return awaitingMember ? 'approval' : 'waiting'
    case 'in_progress':
      return awaitingMember ? 'approval' : 'working'
    case 'completed':
      return awaitingMember ? 'approval' : 'ready'
    case 'paying':
      return 'ready'
    case 'settled':
      return 'settled'
    default:
      return null
  }
}

/** 粤B12345 → 粤B·12345 (plates are stored without the dot, shown with it). */
export function displayPlate(plate: string): string {
  return plate.length > 2 ? `${plate.slice(0, 2)}·${plate.slice(2)}` : plate
}

export interface BoardCard {
  id: number
  number: string
  plate: string
  model: string | null
  column: BoardColumnKey
  status: WorkOrder['status']
  items: string[]
  technicians: string[]
  pendingCount: number
  openedAt: string
  startedAt: string | null
  completedAt: string | null
  settledAt: string | null
}

function technicianNames(order: WorkOrder): string[] {
  const names: string[] = []
  for (const line of order.lines) {
    if (line.approval === 'declined') continue
    for (const t of line.technicians) if (!names.includes(t.username)) names.push(t.username)
  }
  return names
}

export function toCard(order: WorkOrder): BoardCard | null {
  const column = columnOf(order)
  if (column === null) return null
  return {
    id: order.id,
    number: order.number,
    plate: displayPlate(order.plate),
    model: order.vehicle_model,
    column,
    status: order.status,
    items: order.lines.filter((line) => line.approval !== 'declined').map((line) => line.name),
    technicians: technicianNames(order),
    pendingCount: order.pending_line_ids.length,
    openedAt: order.created_at,
    startedAt: order.started_at,
    completedAt: order.completed_at,
    settledAt: order.settled_at,
  }
}

function sameCard(a: BoardCard, b: BoardCard): boolean {
  return (Object.keys(a) as (keyof BoardCard)[]).every((key) => {
    const x = a[key]
    const y = b[key]
    if (Array.isArray(x) && Array.isArray(y)) return x.length === y.length && x.every((value, i) => value === y[i])
    return x === y
  })
}

/**
 * The new cards, reusing the previous object of every card that did not change, so the board
 * re-renders only what moved; `changed` is false when nothing at all did (keep the old list).
 */
export function reconcile<T extends { id: number }>(previous: T[], next: T[], same: (a: T, b: T) => boolean): { items: T[]; changed: boolean } {
  const before = new Map(previous.map((item) => [item.id, item]))
  let changed = previous.length !== next.length
  const items = next.map((item, index) => {
    const old = before.get(item.id)
    if (old && same(old, item)) {
      if (previous[index] !== old) changed = true
      return old
    }
    changed = true
    return item
  })
  return { items, changed }
}

export function reconcileCards(previous: BoardCard[], next: BoardCard[]) {
  return reconcile(previous, next, sameCard)
}

/** Oldest first in the working columns (the car waiting longest on top); last settled first. */
export function sortCards(cards: BoardCard[], column: BoardColumnKey): BoardCard[] {
  const since = (card: BoardCard) => (column === 'settled' ? card.settledAt : column === 'ready' ? card.completedAt : column === 'working' ? card.startedAt : card.openedAt) ?? card.openedAt
  const sorted = [...cards].sort((a, b) => Date.parse(since(a)) - Date.parse(since(b)) || a.id - b.id)
  return column === 'settled' ? sorted.reverse() : sorted
}

/** What the elapsed time on a card counts from, and what it is called. */
export function elapsedOf(card: BoardCard): { label: string; since: string; until?: string } {
  switch (card.column) {
    case 'waiting':
      return { label: '已等', since: card.openedAt }
    case 'working':
      return { label: '施工', since: card.startedAt ?? card.openedAt }
    case 'approval':
      return { label: '在店', since: card.openedAt }
    case 'ready':
      return { label: '完工后', since: card.completedAt ?? card.startedAt ?? card.openedAt }
    case 'settled':
      return { label: '在店用时', since: card.openedAt, until: card.settledAt ?? undefined }
  }
}

/** 7 分钟, 1 小时 05 分, 2 天 3 小时 (never negative: a clock a little behind the server shows 0). */
export function formatDuration(ms: number): string {
  const minutes = Math.max(0, Math.floor(ms / 60_000))
  if (minutes < 60) return `${minutes} 分钟`
  const hours = Math.floor(minutes / 60)
  if (hours < 24) return `${hours} 小时 ${String(minutes % 60).padStart(2, '0')} 分`
  return `${Math.floor(hours / 24)} 天 ${hours % 24} 小时`
}
