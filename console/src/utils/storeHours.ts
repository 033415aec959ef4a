// A store's opening hours as the service keeps them ({"mon": ["09:00", "18:00"], ...}, a weekday
// left out is closed) and as the owner edits them: one row per weekday, open or closed.
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const
export type Weekday = (typeof WEEKDAYS)[number]
export const WEEKDAY_NAMES: Record<Weekday, string> = { mon: '周一', tue: '周二', wed: '周三', thu: '周四', fri: '周五', sat: '周六', sun: '周日' }

export interface HoursRow {
  day: Weekday
  open: boolean
  opens: string
  closes: string
}

export type Hours = Record<string, string[] | null | undefined>

export function hoursRows(hours: Hours | null | undefined): HoursRow[] {
  return WEEKDAYS.map((day) => {
    const [opens, closes] = hours?.[day] ?? []
    return opens && closes ? { day, open: true, opens, closes } : { day, open: false, opens: '09:00', closes: '18:00' }
  })
}

/** The rows as the service takes them: every weekday named, null when closed. */
export function hoursFromRows(rows: HoursRow[]): Record<string, string[] | null> {
  return Object.fromEntries(rows.map((row) => [row.day, row.open ? [row.opens, row.closes] : null]))
}

const sameHours = (a: HoursRow, b: HoursRow) => a.open === b.open && (!a.open || (a.opens === b.opens && a.closes === b.closes))

/** "周一至周五 09:00–18:00；周六 10:00–16:00" — consecutive days with the same hours run together. */
export function hoursSummary(hours: Hours | null | undefined): string {
  const runs: HoursRow[][] = []
  for (const row of hoursRows(hours)) {
    const run = runs[runs.length - 1]
    const last = run?.[run.length - 1]
    if (run && last && sameHours(last, row)) run.push(row)
    else runs.push([row])
  }
  const parts = runs.flatMap((run) => {
    const first = run[0]
    const last = run[run.length - 1]
    if (!first || !last || !first.open) return []
    const days = first === last ? WEEKDAY_NAMES[first.day] : `${WEEKDAY_NAMES[first.day]}至${WEEKDAY_NAMES[last.day]}`
    return [`${days} ${first.opens}–${first.closes}`]
  })
  return parts.length ? parts.join('；') : '未设营业时间'
}
