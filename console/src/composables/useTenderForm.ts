// The checkout's tender form (组合支付): which tender rows the order offers, what the cashier typed
// or picked in each, which rows are valid, and the `tenders` body sent to quote and settle.
// No money is added up here: amounts are parsed from what was typed (parseYuan) and compared with
// the server's figures (the wallet's balance, the quote's remaining amount); the server values
// every tender and says what remains.
import { computed, reactive, ref, shallowRef } from 'vue'
import type { Schemas } from '@/api/client'
import { parseYuan } from '@/utils/money'
import type { TenderType } from '@/utils/workOrderText'

export type Tender = Schemas['WorkOrderTender']
/** The tenders the cashier types an amount for. */
export type AmountType = Extract<TenderType, 'stored_value' | 'cash' | 'wechat' | 'alipay' | 'card'>
export const MONEY_TYPES = ['cash', 'wechat', 'alipay', 'card'] as const satisfies readonly AmountType[]

export interface TenderContext {
  /** null for a walk-in order: money only. */
  memberId: number | null
  wallet: Pick<Schemas['WalletSummary'], 'balance_fen' | 'points'> | null
  coupons: Schemas['MemberCouponStaffRead'][]
  cards: Schemas['PackageCardRead'][]
  /** Period cards (月卡/年卡) usable for the order's car; the server says what is left today. */
  periodCards?: Schemas['PeriodCardRead'][]
  lines: Schemas['WorkOrderLineRead'][]
  now?: Date
}

export interface CardOption {
  key: string
  cardId: number
  cardName: string
  serviceItemId: number
  itemName: string
  remaining: number
}

/** A period card's item the order can charge: at most ``leftToday`` uses (the server's figure). */
export interface PeriodOption {
  key: `period:${number}:${number}`
  cardId: number
  cardName: string
  serviceItemId: number
  itemName: string
  leftToday: number
  dailyCap: number
  expiresAt: string
}

/** The 挂账 row's tender, as its component (OnAccountTender) emits it; null when not filled in. */
export type OnAccountTender = Tender & { type: 'on_account'; account_id: number; amount_fen: number }

/** A row's key: an amount type, 'points', 'on_account', `coupon:<id>`, `card:<card id>:<service item id>`
 * or `period:<period card id>:<service item id>`. */
export type RowKey = AmountType | 'points' | 'on_account' | `coupon:${number}` | `card:${number}:${number}` | `period:${number}:${number}`

export interface KeyedTender {
  key: RowKey
  tender: Tender
}

/** fen as the text a cashier would type ("123.45"): how a filled row shows the server's amount. */
export function fenToInput(fen: number): string {
  const cents = String(fen % 100).padStart(2, '0')
  return `${Math.trunc(fen / 100)}.${cents}`
}

function cardKey(cardId: number, serviceItemId: number): `card:${number}:${number}` {
  return `card:${cardId}:${serviceItemId}`
}

export function useTenderForm(context: () => TenderContext) {
  const amounts = reactive<Record<AmountType, string>>({ stored_value: '', cash: '', wechat: '', alipay: '', card: '' })
  const pointsText = ref('')
  const couponIds = ref<number[]>([])
  const cardUnits = reactive<Record<string, number>>({})
  const onAccount = shallowRef<OnAccountTender | null>(null)

  const isMember = computed(() => context().memberId !== null)

  /** The amount rows the order offers: stored value for a member with a balance, then money. */
  const amountRows = computed<AmountType[]>(() => {
    const wallet = context().wallet
    const rows: AmountType[] = []
    if (isMember.value && wallet && wallet.balance_fen > 0) rows.push('stored_value')
    return [...rows, ...MONEY_TYPES]
  })

  const hasPoints = computed(() => {
    const wallet = context().wallet
    return isMember.value && wallet !== null && wallet.points > 0
  })

  /** The member's coupons usable now: unused and already started. */
  const couponOptions = computed(() => {
    const { coupons, now } = context()
    if (!isMember.value) return []
    const at = (now ?? new Date()).getTime()
    return coupons.filter((coupon) => coupon.status === 'unused' && new Date(coupon.valid_from).getTime() <= at)
  })

  /** Package-card items with units left that match a labor line the order will charge. */
  const cardOptions = computed<CardOption[]>(() => {
    const { cards, lines } = context()
    if (!isMember.value) return []
    const items = new Set(lines.filter((line) => line.kind === 'labor' && line.approval !== 'declined' && line.service_item_id !== null).map((line) => line.service_item_id))
    const options: CardOption[] = []
    for (const card of cards) {
      if (card.status !== 'active') continue
      for (const item of card.items) {
        if (item.remaining > 0 && items.has(item.service_item_id)) {
          options.push({
            key: cardKey(card.id, item.service_item_id),
            cardId: card.id,
            cardName: card.name,
            serviceItemId: item.service_item_id,
            itemName: item.name ?? '',
            remaining: item.remaining,
          })
        }
      }
    }
    return options
  })

  /** Period-card items usable today that match a labor line the order will charge. */
  const periodOptions = computed<PeriodOption[]>(() => {
    const { periodCards, lines } = context()
    if (!isMember.value || !periodCards) return []
    const items = new Set(lines.filter((line) => line.kind === 'labor' && line.approval !== 'declined' && line.service_item_id !== null).map((line) => line.service_item_id))
    const options: PeriodOption[] = []
    for (const card of periodCards) {
      if (card.status !== 'active') continue
      for (const item of card.items) {
        if (!items.has(item.service_item_id)) continue
        options.push({
          key: `period:${card.id}:${item.service_item_id}`,
          cardId: card.id,
          cardName: card.name,
          serviceItemId: item.service_item_id,
          itemName: item.name ?? '',
          leftToday: card.left_today,
          dailyCap: card.daily_cap,
          expiresAt: card.expires_at,
        })
      }
    }
    return options
  })

  /** What is wrong with each row, by row key (rows left empty are fine). */
  const errors = computed(() => {
    const found: Partial<Record<RowKey, string>> = {}
    const wallet = context().wallet
    for (const type of amountRows.value) {
      const text = amounts[type].trim()
      if (!text) continue
      const fen = parseYuan(text)
      if (fen === null) found[type] = '金额格式不对'
      else if (type === 'stored_value' && wallet && fen > wallet.balance_fen) found[type] = '超过储值余额'
    }
    const points = pointsText.value.trim()
    if (hasPoints.value && points) {
      if (!/^\d{1,9}$/.test(points)) found.points = '积分须为整数'
      else if (wallet && Number(points) > wallet.points) found.points = '超过可用积分'
    }
    for (const option of cardOptions.value) {
      const units = cardUnits[option.key] ?? 0
      if (!Number.isInteger(units) || units < 0 || units > option.remaining) found[option.key as RowKey] = `最多 ${option.remaining} 次`
    }
    for (const option of periodOptions.value) {
      const units = cardUnits[option.key] ?? 0
      if (!Number.isInteger(units) || units < 0 || units > option.leftToday) found[option.key] = `今日最多 ${option.leftToday} 次`
    }
    return found
  })

  const valid = computed(() => Object.keys(errors.value).length === 0)

  /** The valid, non-empty rows as tenders in the server's valuation order, each with its row key. */
  function keyedTenders(except?: RowKey): KeyedTender[] {
    const out: KeyedTender[] = []
    const failed = errors.value
    for (const option of cardOptions.value) {
      if (option.key === except || failed[option.key as RowKey]) continue
      const units = cardUnits[option.key] ?? 0
      for (let unit = 0; unit < units; unit += 1) {
        out.push({ key: option.key as RowKey, tender: { type: 'package_card', card_id: option.cardId, service_item_id: option.serviceItemId } })
      }
    }
    for (const option of periodOptions.value) {
      if (option.key === except || failed[option.key]) continue
      const units = cardUnits[option.key] ?? 0
      for (let unit = 0; unit < units; unit += 1) {
        out.push({ key: option.key, tender: { type: 'period_card', card_id: option.cardId, service_item_id: option.serviceItemId } })
      }
    }
    const usable = new Set(couponOptions.value.map((coupon) => coupon.id))
    for (const id of couponIds.value) {
      const key: RowKey = `coupon:${id}`
      if (key !== except && usable.has(id)) out.push({ key, tender: { type: 'coupon', member_coupon_id: id } })
    }
    const points = pointsText.value.trim()
    if (hasPoints.value && except !== 'points' && points && !failed.points && Number(points) > 0) {
      out.push({ key: 'points', tender: { type: 'points', points: Number(points) } })
    }
    for (const type of amountRows.value) {
      if (type === except || failed[type]) continue
      const fen = parseYuan(amounts[type])
      if (fen !== null && fen > 0) out.push({ key: type, tender: { type, amount_fen: fen } })
    }
    if (onAccount.value && except !== 'on_account') out.push({ key: 'on_account', tender: { ...onAccount.value } })
    return out
  }

  /** The body of quote and settle: { tenders }. */
  const body = computed(() => ({ tenders: keyedTenders().map((entry) => entry.tender) }))
  const keys = computed(() => keyedTenders().map((entry) => entry.key))

  /** The body without one row: quoted to learn what that row should take ("余额"). */
  function bodyWithout(key: RowKey) {
    return { tenders: keyedTenders(key).map((entry) => entry.tender) }
  }

  /**
   * Puts the server's remaining amount (quoted without this row) into an amount row; stored value
   * takes at most the member's balance; nothing remaining empties the row.
   */
  function fill(type: AmountType, remainingFen: number) {
    const wallet = context().wallet
    let fen = remainingFen
    if (type === 'stored_value' && wallet && wallet.balance_fen < fen) fen = wallet.balance_fen
    amounts[type] = fen > 0 ? fenToInput(fen) : ''
  }

  /** Puts the most points the server lets this order take (its quote's points_max_redeemable). */
  function fillPoints(maxPoints: number | null | undefined) {
    pointsText.value = maxPoints && maxPoints > 0 ? String(maxPoints) : ''
  }

  function toggleCoupon(id: number) {
    couponIds.value = couponIds.value.includes(id) ? couponIds.value.filter((c) => c !== id) : [...couponIds.value, id]
  }

  /** One unit of a card item on or off (more units through setCardUnits). */
  function toggleCard(key: string) {
    cardUnits[key] = (cardUnits[key] ?? 0) > 0 ? 0 : 1
  }

  function setCardUnits(key: string, units: number) {
    cardUnits[key] = units
  }

  /** The 挂账 row changed (its account and amount), or was emptied (null). */
  function setOnAccount(tender: OnAccountTender | null) {
    onAccount.value = tender
  }

  return {
    amounts,
    pointsText,
    couponIds,
    cardUnits,
    onAccount,
    isMember,
    amountRows,
    hasPoints,
    couponOptions,
    cardOptions,
    periodOptions,
    errors,
    valid,
    body,
    keys,
    bodyWithout,
    fill,
    fillPoints,
    toggleCoupon,
    toggleCard,
    setCardUnits,
    setOnAccount,
  }
}

export type TenderForm = ReturnType<typeof useTenderForm>
