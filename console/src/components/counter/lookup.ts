// The counter's lookups against the service, one per kind of input (utils/counterInput.ts), all
// answering the same rows: cars (with their member, if any) the cashier can open, and — for a
// whole plate no car has — the row that opens a work order for a new car.
import { api, call, type Schemas } from '@/api/client'
import type { CounterQuery } from '@/utils/counterInput'

/** Rows per lookup: the cashier types one more character rather than scrolling. */
export const PAGE = 10

export interface HitMember {
  id: number
  nickname: string | null
  phone: string | null
  tierName: string | null
  lifecycle: Schemas['MemberSummary']['lifecycle']
  /** From the plate and card lookups' summary (the member search does not carry balances). */
  balanceFen: number | null
  points: number | null
}

export interface CarHit {
  kind: 'car'
  vehicleId: number
  plate: string
  model: string | null
  member: HitMember | null
}

export interface WalkInHit {
  kind: 'walk_in'
  plate: string
}

export type CounterHit = CarHit | WalkInHit

export interface CounterResults {
  hits: CounterHit[]
  /** Members found (by phone, name or card) who have no car on record yet. */
  carless: HitMember[]
  /** Cars matching beyond the rows shown. */
  more: number
}

function fromSummary(item: Schemas['VehicleLookupItem']): CarHit {
  const { vehicle, member } = item
  return {
    kind: 'car',
    vehicleId: vehicle.id,
    plate: vehicle.plate,
    model: vehicle.model,
    member: member
      ? {
          id: member.id,
          nickname: member.nickname,
          phone: member.phone,
          tierName: member.tier?.name ?? null,
          lifecycle: member.lifecycle,
          balanceFen: member.balance_fen,
          points: member.points,
        }
      : null,
  }
}

function memberOf(member: Schemas['MemberStaffRead']): HitMember {
  return {
    id: member.id,
    nickname: member.nickname,
    phone: member.phone,
    tierName: member.tier?.name ?? null,
    lifecycle: member.lifecycle,
    balanceFen: null,
    points: null,
  }
}

async function carsByPlate(fragment: string, signal: AbortSignal) {
  return call(api.GET('/api/v1/vehicles', { params: { query: { plate: fragment, per_page: PAGE } }, signal }))
}

async function carsOfCard(token: string, signal: AbortSignal) {
  return call(api.GET('/api/v1/vehicles', { params: { header: { 'Member-Card-Token': token } }, signal }))
}

/** Phone numbers, names and cards go in the body, never in a URL. */
async function members(q: string, signal: AbortSignal) {
  return call(api.POST('/api/v1/members/search', { body: { q, page: 1, per_page: PAGE }, signal }))
}

/** The rows for one input. Searching never changes anything, so it may be cancelled at any time. */
export async function lookupCounter(query: CounterQuery, signal: AbortSignal): Promise<CounterResults> {
  const hits: CounterHit[] = []
  const carless: HitMember[] = []
  let more = 0
  const seen = new Set<number>()
  const addPage = (page: Schemas['VehicleLookupPage']) => {
    for (const item of page.items) {
      seen.add(item.vehicle.id)
      hits.push(fromSummary(item))
    }
    more += Math.max(0, page.total - page.items.length)
  }
  const addMembers = (page: Schemas['MemberStaffPage']) => {
    for (const member of page.items) {
      const summary = memberOf(member)
      if (member.vehicles.length === 0) carless.push(summary)
      for (const vehicle of member.vehicles) {
        if (seen.has(vehicle.id)) continue
        seen.add(vehicle.id)
        hits.push({ kind: 'car', vehicleId: vehicle.id, plate: vehicle.plate, model: vehicle.model, member: summary })
      }
    }
    more += Math.max(0, page.total - page.items.length)
  }

  switch (query.kind) {
    case 'plate': {
      addPage(await carsByPlate(query.text, signal))
      // A whole plate no car has yet: the first row opens a work order for the new car.
      if (query.full && !hits.some((hit) => hit.kind === 'car' && hit.plate === query.text)) {
        hits.unshift({ kind: 'walk_in', plate: query.text })
      }
      break
    }
    case 'digits': {
      // Plate digits or the end of a phone number: both, the plates first.
      const [cars, found] = await Promise.all([carsByPlate(query.text, signal), members(query.text, signal)])
      addPage(cars)
      addMembers(found)
      break
    }
    case 'phone':
    case 'name':
      addMembers(await members(query.text, signal))
      break
    case 'card': {
      const cars = await carsOfCard(query.token, signal)
      addPage(cars)
      // A member with no car yet is still found (for a top-up, say).
      if (cars.items.length === 0) addMembers(await members(query.token, signal))
      break
    }
    default:
      break
  }
  return { hits, carless, more }
}
