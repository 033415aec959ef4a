// Who is signed in at this counter, and for which store. The token lives in memory and in
// sessionStorage (this tab only, gone when the tab closes), never in localStorage: a counter PC
// is shared. A 401 from any call ends the session and sends the user to the login screen.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api, call, configureAuth, type Schemas } from '@/api/client'

type Staff = Schemas['StaffRead']
const KEY = 'pitstop.session'

interface Saved {
  token: string
  staff: Staff
  storeId: number | null
}

function load(): Saved | null {
  try {
    const raw = sessionStorage.getItem(KEY)
    return raw ? (JSON.parse(raw) as Saved) : null
  } catch {
    return null
  }
}

export const useSession = defineStore('session', () => {
  const saved = load()
  const token = ref<string | null>(saved?.token ?? null)
  const staff = ref<Staff | null>(saved?.staff ?? null)
  const storeId = ref<number | null>(saved?.storeId ?? null)
  /** Why the last session ended ('token_expired', 'token_revoked', ...), shown on the login screen. */
  const endedBecause = ref<string | null>(null)
  const locked = ref(false)

  const isSignedIn = computed(() => token.value !== null && staff.value !== null)
  const role = computed(() => staff.value?.role ?? null)
  const isOwner = computed(() => role.value === 'owner')

  function persist() {
    if (token.value && staff.value) {
      sessionStorage.setItem(KEY, JSON.stringify({ token: token.value, staff: staff.value, storeId: storeId.value }))
    } else {
      sessionStorage.removeItem(KEY)
    }
  }

  async function login(username: string, password: string) {
    const result = await call(api.POST('/api/v1/auth/staff/login', { body: { username, password } }))
    token.value = result.token
    staff.value = result.staff
    // Staff work in their first store; owners (all stores) pick one in the header.
    if (storeId.value === null || !canUseStore(storeId.value)) storeId.value = result.staff.store_ids[0] ?? null
    endedBecause.value = null
    locked.value = false
    persist()
  }

  function canUseStore(id: number) {
    return staff.value?.role === 'owner' || (staff.value?.store_ids ?? []).includes(id)
  }

  function selectStore(id: number) {
    if (!canUseStore(id)) return
    storeId.value = id
    persist()
  }

  function clear(reason: string | null) {
    token.value = null
    staff.value = null
    endedBecause.value = reason
    locked.value = false
    persist()
  }

  /** Logs out everywhere (the service revokes every token this staff member holds). */
  async function logout() {
    try {
      await call(api.POST('/api/v1/auth/logout'))
    } finally {
      clear(null)
    }
  }

  function lock() {
    if (isSignedIn.value) locked.value = true
  }

  configureAuth(
    () => token.value,
    (code) => {
      if (token.value) clear(code)
    },
  )

  return { token, staff, storeId, endedBecause, locked, isSignedIn, role, isOwner, login, logout, lock, clear, selectStore, canUseStore }
})
