// The two stock documents the counter fills in: a receipt (入库) and a stocktake (盘点). The rows
// hold what the cashier typed; these functions check it and build the request body, or say in
// Chinese what to fix. Costs are typed in yuan and sent in fen exactly (parseYuan); nothing is
// added up here (the service returns each line's cost, the total and the differences).
import type { Schemas } from '@/api/client'
import { parseCount } from './count'
import { parseYuan } from './money'

export interface PartChoice {
  id: number
  name: string
  sku: string
}

export interface ReceiptRow {
  part: PartChoice | null
  quantity: string
  unitCost: string
}

export interface StocktakeRow {
  part: PartChoice | null
  counted: string
}

export type Checked<T> = { ok: true; body: T } | { ok: false; errors: string[] }

export function emptyReceiptRow(): ReceiptRow {
  return { part: null, quantity: '', unitCost: '' }
}

export function emptyStocktakeRow(): StocktakeRow {
  return { part: null, counted: '' }
}

function isBlankReceipt(row: ReceiptRow): boolean {
  return row.part === null && row.quantity.trim() === '' && row.unitCost.trim() === ''
}

function isBlankStocktake(row: StocktakeRow): boolean {
  return row.part === null && row.counted.trim() === ''
}

/** Parts named twice (the service takes each part once per document). */
function duplicates(parts: PartChoice[]): string[] {
  const seen = new Set<number>()
  const twice = new Map<number, string>()
  for (const part of parts) {
    if (seen.has(part.id)) twice.set(part.id, part.name)
    seen.add(part.id)
  }
  return [...twice.values()].map((name) => `配件「${name}」出现了多次，请合并为一行`)
}

export function receiptBody(supplier: string, note: string, rows: ReceiptRow[]): Checked<Schemas['StockReceiptCreate']> {
  const errors: string[] = []
  if (supplier.trim() === '') errors.push('请填写供应商')
  const filled = rows.map((row, index) => ({ row, number: index + 1 })).filter(({ row }) => !isBlankReceipt(row))
  if (filled.length === 0) errors.push('请至少填写一行配件')
  const lines: Schemas['ReceiptLineBody'][] = []
  for (const { row, number } of filled) {
    const quantity = parseCount(row.quantity)
    const unitCost = parseYuan(row.unitCost)
    if (row.part === null) errors.push(`第 ${number} 行：请选择配件`)
    if (quantity === null || quantity < 1) errors.push(`第 ${number} 行：数量须为不小于 1 的整数`)
    if (unitCost === null) errors.push(`第 ${number} 行：进货单价请填写金额（元，最多两位小数）`)
    if (row.part !== null && quantity !== null && quantity >= 1 && unitCost !== null) {
      lines.push({ part_id: row.part.id, quantity, unit_cost_fen: unitCost })
    }
  }
  errors.push(...duplicates(filled.flatMap(({ row }) => (row.part ? [row.part] : []))))
  if (errors.length > 0) return { ok: false, errors }
  const body: Schemas['StockReceiptCreate'] = { supplier: supplier.trim(), lines }
  if (note.trim() !== '') body.note = note.trim()
  return { ok: true, body }
}

export function stocktakeBody(reason: string, rows: StocktakeRow[]): Checked<Schemas['StocktakeCreate']> {
  const errors: string[] = []
  if (reason.trim() === '') errors.push('请填写盘点原因')
  const filled = rows.map((row, index) => ({ row, number: index + 1 })).filter(({ row }) => !isBlankStocktake(row))
  if (filled.length === 0) errors.push('请至少填写一行配件')
  const lines: Schemas['StocktakeLineBody'][] = []
  for (const { row, number } of filled) {
    const counted = parseCount(row.counted)
    if (row.part === null) errors.push(`第 ${number} 行：请选择配件`)
    if (counted === null) errors.push(`第 ${number} 行：实盘数量须为不小于 0 的整数`)
    if (row.part !== null && counted !== null) lines.push({ part_id: row.part.id, counted })
  }
  errors.push(...duplicates(filled.flatMap(({ row }) => (row.part ? [row.part] : []))))
  if (errors.length > 0) return { ok: false, errors }
  return { ok: true, body: { reason: reason.trim(), lines } }
}

/** Parts whose name or SKU contains every word typed (case and width folded), at most `limit`. */
export function searchParts<T extends PartChoice>(parts: T[], query: string, limit = 8): T[] {
  const fold = (text: string) =>
    text
      .replace(/[\uff01-\uff5e]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
      .toLowerCase()
  const words = fold(query).split(/\s+/).filter(Boolean)
  if (words.length === 0) return []
  return parts.filter((part) => words.every((word) => fold(`${part.name} ${part.sku}`).includes(word))).slice(0, limit)
}
