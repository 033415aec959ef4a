import { describe, expect, it } from 'vitest'
import { actionLabel, filenameFrom, importPending, progressPercent, undoReasonLabel } from './transfer'

describe('transfer helpers', () => {
  it('reads the Chinese file name of a download, then the plain one', () => {
    expect(filenameFrom(`attachment; filename="export-3.csv"; filename*=UTF-8''%E4%BC%9A%E5%91%98-3.csv`, 'x')).toBe('会员-3.csv')
    expect(filenameFrom('attachment; filename="export-3.csv"', 'x')).toBe('export-3.csv')
    expect(filenameFrom(null, 'fallback.csv')).toBe('fallback.csv')
  })

  it('shows progress from the service’s counts', () => {
    expect(progressPercent({ rows_done: 50, row_count: 200, status: 'running' })).toBe(25)
    expect(progressPercent({ rows_done: 0, row_count: 0, status: 'queued' })).toBe(0)
    expect(progressPercent({ rows_done: 10, row_count: 200, status: 'committed' })).toBe(100)
  })

  it('names actions, pending states and undo refusals', () => {
    expect(actionLabel('merge')).toBe('合并')
    expect(importPending('queued')).toBe(true)
    expect(importPending('committed')).toBe(false)
    expect(undoReasonLabel('balance_used')).toContain('储值')
    expect(undoReasonLabel(undefined)).toBe('')
  })
})
