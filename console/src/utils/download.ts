// Downloads a file the service answers to a signed-in call: fetch with the session's token, then
// hand the Blob to the browser as a download (a plain link would carry no Authorization header).
import { ApiError } from '@/api/client'
import { messageFor } from '@/api/errors'
import { filenameFrom } from './transfer'

export async function downloadFile(url: string, token: string | null, fallbackName: string): Promise<string> {
  let response: Response
  try {
    response = await fetch(url, { headers: token ? { Authorization: `Bearer ${token}` } : {} })
  } catch (cause) {
    throw new ApiError('network_error', 0, String(cause))
  }
  if (!response.ok) {
    let code = 'bad_request'
    let message = response.statusText
    try {
      const body = (await response.json()) as { error?: { code?: string; message?: string } }
      code = body.error?.code ?? code
      message = body.error?.message ?? message
    } catch {
      // not JSON: keep the status text
    }
    throw new ApiError(code, response.status, messageFor(code, message))
  }
  const blob = await response.blob()
  const name = filenameFrom(response.headers.get('Content-Disposition'), fallbackName)
  const link = document.createElement('a')
  link.href = URL.createObjectURL(blob)
  link.download = name
  link.rel = 'noopener'
  document.body.appendChild(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(link.href), 1000)
  return name
}
