// The shift close form (交班): the cash counted and the float the shift started with, in yuan.
// Expected cash and the difference are the service's (it answers them with the close).
import type { Schemas } from '@/api/client'
import { parseYuan } from './money'

export function shiftCloseBody(counted: string, openingFloat: string, note: string): { ok: true; body: Schemas['ShiftClose'] } | { ok: false; error: string } {
  const countedFen = parseYuan(counted)
  if (countedFen === null) return { ok: false, error: '请输入实点现金（元，最多两位小数）' }
  const floatFen = openingFloat.trim() === '' ? 0 : parseYuan(openingFloat)
  if (floatFen === null) return { ok: false, error: '备用金请填写金额（元，最多两位小数）' }
  return { ok: true, body: { counted_cash_fen: countedFen, opening_float_fen: floatFen, note: note.trim() === '' ? null : note.trim() } }
}
