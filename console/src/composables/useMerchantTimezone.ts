// The merchant's timezone decides what "today" is for the boards (the service's rule for days);
// read once from the settings, the browser's own zone while they cannot be read.
import { api, call } from '@/api/client'

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone
let cached: Promise<string> | null = null

export function merchantTimezone(): Promise<string> {
  cached ??= call(api.GET('/api/v1/settings')).then(
    (settings) => settings.timezone || browserZone(),
    () => {
      cached = null
      return browserZone()
    },
  )
  return cached
}
