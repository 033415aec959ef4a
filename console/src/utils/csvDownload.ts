// CSV exports the service offers (?format=csv): fetched with the staff token (a plain link would
// carry none) and handed to the browser as a Blob URL, which the console's CSP allows.
export type QueryValue = string | number | boolean | null | undefined

/** The export's URL: the same query as the screen's figures, plus format=csv. */
export function csvUrl(path: string, query: Record<string, QueryValue>): string {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value !== null && value !== undefined && value !== '') params.set(key, String(value))
  }
  params.set('format', 'csv')
  return `${path}?${params.toString()}`
}

/** The file name the service suggests (Content-Disposition), else the given one. */
export function fileNameFrom(disposition: string | null, fallback: string): string {
  if (!disposition) return fallback
  const encoded = /filename\*=UTF-8''([^;]+)/i.exec(disposition)
  if (encoded?.[1]) return decodeURIComponent(encoded[1])
  const plain = /filename="?([^";]+)"?/i.exec(disposition)
  return plain?.[1] ?? fallback
}

export class CsvDownloadError extends Error {
  constructor(readonly status: number) {
    super(status === 0 ? '网络连接失败，请检查网络后重试' : `导出失败（${status}）`)
  }
}

/** Downloads the export at `url` as `fallbackName` (or the service's name for it). */
export async function downloadCsv(url: string, token: string | null, fallbackName: string): Promise<void> {
  let response: Response
  try {
    response = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}`, Accept: 'text/csv' } : { Accept: 'text/csv' } })
  } catch {
    throw new CsvDownloadError(0)
  }
  if (!response.ok) throw new CsvDownloadError(response.status)
  const blob = await response.blob()
  const href = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = href
  link.download = fileNameFrom(response.headers.get('Content-Disposition'), fallbackName)
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(href), 1000)
}
