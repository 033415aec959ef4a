// What the rule editor's pickers offer (the merchant's tags, tiers and stores, read once by the
// segments screen) and which node the service's last refusal named.
import type { InjectionKey, Ref } from 'vue'
import type { Option, OptionSource } from '@/utils/segmentRules'

export interface RuleContext {
  options: Record<OptionSource, Option[]>
  /** The tiers by rank, shown beside a rank condition ("0 普通会员 · 1 银卡会员 …"). */
  rankHint: string
  /** The condition or group the service's refusal points at. */
  errorNodeId: string | null
  errorText: string
}

export const RULE_CONTEXT: InjectionKey<Ref<RuleContext>> = Symbol('rule-context')
