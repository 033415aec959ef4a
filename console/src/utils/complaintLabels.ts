// Complaints (投诉) in the shop's words, and which moves a complaint offers (the service decides).
import type { Schemas } from '@/api/client'

export type ComplaintStatus = Schemas['ComplaintRead']['status']

export const COMPLAINT_STATUS_LABELS: Record<ComplaintStatus, string> = {
  open: '待处理',
  in_hand: '处理中',
  resolved: '已解决',
}

export const COMPLAINT_STATUS_TAG: Record<ComplaintStatus, 'danger' | 'warning' | 'success'> = {
  open: 'danger',
  in_hand: 'warning',
  resolved: 'success',
}

/** The moves offered from each status, with their button labels (app/care/models.py COMPLAINT_MOVES). */
export const COMPLAINT_MOVES: Record<ComplaintStatus, { to: ComplaintStatus; label: string }[]> = {
  open: [
    { to: 'in_hand', label: '开始处理' },
    { to: 'resolved', label: '直接解决' },
  ],
  in_hand: [{ to: 'resolved', label: '标记已解决' }],
  resolved: [],
}

export const RATING_SOURCE_LABELS: Record<Schemas['ComplaintRead']['source'], string> = {
  member: '小程序评价',
  call: '回访记录',
}
