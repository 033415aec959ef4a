// ECharts options for the owner's dashboard, built from the API's figures as they are: the charts
// only draw what the service computed (fen are shown as yuan, nothing is added up here).
import { yuan } from './money'
import { labelOf } from './statsLabels'

/**
 * The stats routes also answer text/csv, so their generated answer type is "JSON or text": the
 * dashboard asks for JSON and gets JSON; a text answer would be a broken contract, said as such.
 */
export function asJson<T>(answer: T): Exclude<T, string> {
  if (typeof answer === 'string') throw new Error('统计接口返回了非 JSON 内容')
  return answer as Exclude<T, string>
}

export interface SeriesPoint {
  date: string
  value: number
}

type Formatter = (value: number) => string
const asCount: Formatter = (value) => String(value)

/** The axis and tooltip text of a figure: money in yuan, counts as they are. */
export function formatterFor(money: boolean): Formatter {
  return money ? (fen) => yuan(fen) : asCount
}

/** A line per named series over the same days (the days of the first series), drawn straight from
 * day to day: a smoothed curve would show a day's sales rising over the days before it. */
export function dailyLineOption(series: { name: string; points: SeriesPoint[] }[], money: boolean) {
  const format = formatterFor(money)
  return {
    tooltip: { trigger: 'axis', valueFormatter: (value: unknown) => format(Number(value)) },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
    xAxis: { type: 'category', data: (series[0]?.points ?? []).map((p) => p.date.slice(5)) },
    yAxis: { type: 'value', axisLabel: { formatter: (value: number) => (money ? yuan(value).replace(/\.00$/, '') : String(value)) } },
    series: series.map((s) => ({ name: s.name, type: 'line', smooth: false, showSymbol: false, data: s.points.map((p) => p.value) })),
  }
}

/** Rows of {code, label, value} from a {code: value} figure, in the given order (unknown codes last). */
export function labelledRows(figures: Record<string, number>, labels: Record<string, string>, order: readonly string[] = Object.keys(labels)) {
  const known = order.filter((code) => code in figures)
  const rest = Object.keys(figures).filter((code) => !order.includes(code))
  return [...known, ...rest].map((code) => ({ code, label: labelOf(labels, code), value: figures[code] ?? 0 }))
}

/** A ring of the non-zero parts of a figure (tenders, lifecycle stages, value classes). */
export function ringOption(rows: { label: string; value: number }[], money: boolean) {
  const format = formatterFor(money)
  return {
    tooltip: { trigger: 'item', valueFormatter: (value: unknown) => format(Number(value)) },
    legend: { orient: 'vertical', right: 0, top: 'middle' },
    series: [
      {
        type: 'pie',
        radius: ['45%', '72%'],
        center: ['38%', '50%'],
        label: { show: false },
        data: rows.filter((row) => row.value !== 0).map((row) => ({ name: row.label, value: row.value })),
      },
    ],
  }
}

/** Horizontal bars, one per row (churn reasons, campaign revenue). */
export function barOption(rows: { label: string; value: number }[], money: boolean) {
  const format = formatterFor(money)
  return {
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' }, valueFormatter: (value: unknown) => format(Number(value)) },
    grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: rows.map((row) => row.label) },
    series: [{ type: 'bar', barMaxWidth: 18, data: rows.map((row) => row.value) }],
  }
}
