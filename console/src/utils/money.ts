// Display only: the service computes every amount; the console shows fen as yuan.
const formatter = new Intl.NumberFormat('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 })

/** 12345 → "¥123.45"; negative amounts keep their sign. */
export function yuan(fen: number | null | undefined): string {
  if (fen === null || fen === undefined) return '—'
  const sign = fen < 0 ? '-' : ''
  return `${sign}¥${formatter.format(Math.abs(fen) / 100)}`
}

/** What a cashier types ("12.5", "12.50", "１２") as fen, exactly (no float arithmetic); null when not an amount. */
export function parseYuan(text: string): number | null {
  const normalised = text.replace(/[\uff10-\uff19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/[．。]/g, '.').trim()
  const match = /^(\d{1,9})(?:\.(\d{0,2}))?$/.exec(normalised)
  if (!match) return null
  const whole = Number(match[1])
  const cents = Number((match[2] ?? '').padEnd(2, '0'))
  return whole * 100 + cents
}
