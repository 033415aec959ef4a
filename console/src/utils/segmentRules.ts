// The segment rule builder's tree: groups (AND / OR) of conditions, edited in place, and turned into
// the service's rules ({"all": [...]} / {"any": [...]} of {field, op, value}, app/marketing/segments.py).
// The service is the judge of the rules (it compiles them, counts and answers 422 naming the path);
// this module only knows the grammar well enough to offer the right operators and value inputs.
import type { Schemas } from '@/api/client'
import { CAR_USE_LABELS, CHANNEL_LABELS, OCCUPATION_LABELS, optionsOf } from '@/utils/profileLabels'

export type Rules = Schemas['SegmentRules']
export type SegmentCondition = Schemas['SegmentCondition']
export type FieldKey = SegmentCondition['field']
export type OpKey = SegmentCondition['op']
export type Join = 'all' | 'any'
type Scalar = number | string | boolean
/** A value being edited: `undefined` until the user has given one (null is a value: 无等级). */
export type ConditionValue = Scalar | null | (Scalar | null)[] | undefined

export interface ConditionNode {
  id: string
  type: 'condition'
  field: FieldKey
  op: OpKey
  value: ConditionValue
}

export interface GroupNode {
  id: string
  type: 'group'
  join: Join
  children: RuleNode[]
}

export type RuleNode = ConditionNode | GroupNode

// The service's limits (segments.py MAX_DEPTH, MAX_CONDITIONS): the root group is depth 1.
export const MAX_DEPTH = 5
export const MAX_CONDITIONS = 50

/** How a value is entered: one choice, several, a number, two numbers, a date, two dates, yes/no. */
export type ValueKind = 'one' | 'many' | 'number' | 'numberRange' | 'date' | 'dateRange' | 'flag'
/** What a number means: money is typed in yuan and sent in fen. */
export type Unit = 'fen' | 'times' | 'days' | 'years' | 'points' | 'count' | 'rank' | 'year'
/** Options that come from the service (tags, tiers, stores) or a fixed list. */
export type OptionSource = 'tags' | 'tiers' | 'stores'

export interface Option {
  value: number | string
  label: string
}

export interface FieldDef {
  label: string
  ops: OpKey[]
  options?: OptionSource | Option[]
  unit?: Unit
  /** Free text (the region): the value is typed, the options only suggest. */
  freeText?: boolean
}

const MATCH_OPS: OpKey[] = ['in', 'not_in', 'eq', 'ne']
const NUMBER_OPS: OpKey[] = ['gte', 'lte', 'gt', 'lt', 'eq', 'ne', 'between']
const AGE_OPS: OpKey[] = ['gte', 'lte', 'gt', 'lt', 'eq', 'between']

export const LIFECYCLE_OPTIONS: Option[] = [
  { value: 'new', label: '新客' },
  { value: 'active', label: '活跃' },
  { value: 'at_risk', label: '准流失' },
  { value: 'churned', label: '流失' },
]
export const VALUE_CLASS_OPTIONS: Option[] = [
  { value: 'high', label: '高价值' },
  { value: 'medium', label: '中价值' },
  { value: 'low', label: '低价值' },
  { value: 'none', label: '未消费' },
]
const MONTH_OPTIONS: Option[] = Array.from({ length: 12 }, (_, i) => ({ value: i + 1, label: `${i + 1} 月` }))

export const FIELDS: Record<FieldKey, FieldDef> = {
  tags: { label: '标签', ops: ['has_any', 'has_all', 'has_none'], options: 'tags' },
  tier: { label: '会员等级', ops: MATCH_OPS, options: 'tiers' },
  tier_rank: { label: '等级级别', ops: NUMBER_OPS, unit: 'rank' },
  lifecycle: { label: '生命周期', ops: MATCH_OPS, options: LIFECYCLE_OPTIONS },
  value_class: { label: '价值分层', ops: MATCH_OPS, options: VALUE_CLASS_OPTIONS },
  last_visit: { label: '最近到店', ops: ['within_days', 'not_within_days', 'before', 'after', 'between', 'never'], unit: 'days' },
  visit_count: { label: '回站次数', ops: NUMBER_OPS, unit: 'times' },
  total_paid: { label: '累计消费', ops: NUMBER_OPS, unit: 'fen' },
  average_ticket: { label: '客单价', ops: NUMBER_OPS, unit: 'fen' },
  balance: { label: '储值余额', ops: NUMBER_OPS, unit: 'fen' },
  points: { label: '积分', ops: NUMBER_OPS, unit: 'points' },
  unused_coupons: { label: '未使用优惠券', ops: NUMBER_OPS, unit: 'count' },
  vehicle_age: { label: '车龄', ops: AGE_OPS, unit: 'years' },
  birthday_month: { label: '生日月份', ops: MATCH_OPS, options: MONTH_OPTIONS },
  store: { label: '门店', ops: MATCH_OPS, options: 'stores' },
  gender: { label: '性别', ops: MATCH_OPS, options: [{ value: 'male', label: '男' }, { value: 'female', label: '女' }] },
  birth_year: { label: '出生年份', ops: NUMBER_OPS, unit: 'year' },
  region: { label: '地区', ops: MATCH_OPS, options: [], freeText: true },
  occupation: { label: '职业', ops: MATCH_OPS, options: optionsOf(OCCUPATION_LABELS) },
  car_use: { label: '用车性质', ops: MATCH_OPS, options: optionsOf(CAR_USE_LABELS) },
  acquisition_channel: { label: '获客渠道', ops: MATCH_OPS, options: optionsOf(CHANNEL_LABELS) },
}

export const FIELD_ORDER = Object.keys(FIELDS) as FieldKey[]

export const OP_LABELS: Record<OpKey, string> = {
  eq: '等于',
  ne: '不等于',
  in: '属于',
  not_in: '不属于',
  gt: '大于',
  gte: '不少于',
  lt: '小于',
  lte: '不超过',
  between: '介于',
  has_any: '含任一',
  has_all: '全部包含',
  has_none: '都不含',
  within_days: '最近 N 天内到过',
  not_within_days: '超过 N 天未到店',
  before: '早于',
  after: '晚于',
  never: '从未到店',
}

export const UNIT_LABELS: Record<Unit, string> = {
  fen: '元',
  times: '次',
  days: '天',
  years: '年',
  points: '分',
  count: '张',
  rank: '级',
  year: '年',
}

export const JOIN_LABELS: Record<Join, string> = { all: '满足全部（且）', any: '满足任一（或）' }

export function valueKind(field: FieldKey, op: OpKey): ValueKind {
  if (field === 'tags') return 'many'
  if (field === 'last_visit') {
    if (op === 'never') return 'flag'
    if (op === 'between') return 'dateRange'
    if (op === 'before' || op === 'after') return 'date'
    return 'number'
  }
  if (FIELDS[field].options) return op === 'in' || op === 'not_in' ? 'many' : 'one'
  return op === 'between' ? 'numberRange' : 'number'
}

/** The value a fresh condition (or one whose operator changed the kind of value) starts with. */
export function defaultValue(field: FieldKey, op: OpKey): ConditionValue {
  switch (valueKind(field, op)) {
    case 'many':
      return []
    case 'numberRange':
    case 'dateRange':
      return [null, null]
    case 'flag':
      return true
    default:
      return undefined
  }
}

let sequence = 0
function nextId(): string {
  sequence += 1
  return `r${sequence}`
}

export function newGroup(join: Join = 'all', children: RuleNode[] = []): GroupNode {
  return { id: nextId(), type: 'group', join, children }
}

export function newCondition(field: FieldKey = 'lifecycle', op?: OpKey, value?: ConditionValue): ConditionNode {
  const chosen = op ?? FIELDS[field].ops[0]!
  return { id: nextId(), type: 'condition', field, op: chosen, value: value === undefined ? defaultValue(field, chosen) : value }
}

/** The node with this id and its parent group (null for the root). */
export function findNode(root: GroupNode, id: string): { node: RuleNode; parent: GroupNode | null; depth: number } | null {
  if (root.id === id) return { node: root, parent: null, depth: 1 }
  const walk = (group: GroupNode, depth: number): { node: RuleNode; parent: GroupNode; depth: number } | null => {
    for (const child of group.children) {
      if (child.id === id) return { node: child, parent: group, depth: child.type === 'group' ? depth + 1 : depth }
      if (child.type === 'group') {
        const found = walk(child, depth + 1)
        if (found) return found
      }
    }
    return null
  }
  return walk(root, 1)
}

function groupById(root: GroupNode, id: string): { group: GroupNode; depth: number } {
  const found = findNode(root, id)
  if (!found || found.node.type !== 'group') throw new Error(`no group ${id}`)
  return { group: found.node, depth: found.depth }
}

export function countConditions(node: RuleNode): number {
  return node.type === 'condition' ? 1 : node.children.reduce((sum, child) => sum + countConditions(child), 0)
}

export function canAddCondition(root: GroupNode): boolean {
  return countConditions(root) < MAX_CONDITIONS
}

/** A group inside this one would still be within the service's nesting limit. */
export function canAddGroup(root: GroupNode, groupId: string): boolean {
  return groupById(root, groupId).depth < MAX_DEPTH && canAddCondition(root)
}

/** Adds a condition at the end of a group; returns it. */
export function addCondition(root: GroupNode, groupId: string, field: FieldKey = 'lifecycle'): ConditionNode {
  const { group } = groupById(root, groupId)
  if (!canAddCondition(root)) throw new Error(`at most ${MAX_CONDITIONS} conditions`)
  const condition = newCondition(field)
  group.children.push(condition)
  return condition
}

/** Adds a group (with one condition to fill in, so it is never empty on screen) inside a group; returns it. */
export function addGroup(root: GroupNode, parentId: string, join: Join = 'any'): GroupNode {
  if (!canAddGroup(root, parentId)) throw new Error(`groups nest at most ${MAX_DEPTH} deep`)
  const { group: parent } = groupById(root, parentId)
  const group = newGroup(join, [newCondition()])
  parent.children.push(group)
  return group
}

/** Removes a condition or a group (with everything in it); the root stays. */
export function removeNode(root: GroupNode, id: string): boolean {
  const found = findNode(root, id)
  if (!found || !found.parent) return false
  const index = found.parent.children.findIndex((child) => child.id === id)
  found.parent.children.splice(index, 1)
  return true
}

/** Chooses another field: its first operator and an empty value. */
export function setField(condition: ConditionNode, field: FieldKey): void {
  condition.field = field
  condition.op = FIELDS[field].ops[0]!
  condition.value = defaultValue(field, condition.op)
}

/** Chooses another operator, keeping the value when it is still the same kind of value. */
export function setOp(condition: ConditionNode, op: OpKey): void {
  const before = valueKind(condition.field, condition.op)
  condition.op = op
  if (valueKind(condition.field, op) !== before) {
    condition.value = defaultValue(condition.field, op)
  } else if (before === 'one' && condition.value === null && condition.field !== 'tier') {
    condition.value = undefined
  }
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value)
}

function isDate(value: unknown): value is string {
  return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value)
}

/** Whether the condition has a whole value (an unfinished one is left out of what is sent). */
export function isComplete(condition: ConditionNode): boolean {
  const { value } = condition
  switch (valueKind(condition.field, condition.op)) {
    case 'many':
      return Array.isArray(value) && value.length > 0
    case 'one':
      // A tier condition may be "no tier" (null); any other choice needs a value.
      return value !== undefined && !Array.isArray(value) && (value !== null || condition.field === 'tier')
    case 'number':
      return isNumber(value)
    case 'numberRange':
      return Array.isArray(value) && value.length === 2 && isNumber(value[0]) && isNumber(value[1]) && value[0] <= value[1]
    case 'date':
      return isDate(value)
    case 'dateRange':
      return Array.isArray(value) && value.length === 2 && isDate(value[0]) && isDate(value[1]) && value[0] <= value[1]
    case 'flag':
      return typeof value === 'boolean'
  }
}

export interface Serialised {
  /** What the service takes: unfinished conditions and groups left empty by them are not sent. */
  rules: Rules
  /** The rules' path of each node sent ("rules", "rules.all[0]", "rules.all[1].any[0]"…) → node id. */
  nodeByPath: Record<string, string>
  /** Conditions left out because they are not finished. */
  incomplete: number
}

export function serialise(root: GroupNode): Serialised {
  const nodeByPath: Record<string, string> = {}
  let incomplete = 0
  const group = (node: GroupNode, path: string): Rules | null => {
    const children: Rules[] = []
    for (const child of node.children) {
      const childPath = `${path}.${node.join}[${children.length}]`
      if (child.type === 'condition') {
        if (!isComplete(child)) {
          incomplete += 1
          continue
        }
        nodeByPath[childPath] = child.id
        children.push({ field: child.field, op: child.op, value: child.value as SegmentCondition['value'] })
      } else {
        const inner = group(child, childPath)
        if (inner) children.push(inner)
      }
    }
    if (children.length === 0 && path !== 'rules') {
      // An empty OR would select no one: a group with nothing finished in it is left out.
      for (const key of Object.keys(nodeByPath)) if (key.startsWith(`${path}.`)) delete nodeByPath[key]
      return null
    }
    nodeByPath[path] = node.id
    return node.join === 'all' ? { all: children } : { any: children }
  }
  const rules = group(root, 'rules') as Rules
  return { rules, nodeByPath, incomplete }
}

/** The node a service error path names ("rules.all[1].any[0].value"): the deepest node sent on it. */
export function nodeForPath(nodeByPath: Record<string, string>, path: string): string | null {
  let best: string | null = null
  for (const key of Object.keys(nodeByPath)) {
    const covers = path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`)
    if (covers && (best === null || key.length > best.length)) best = key
  }
  return best === null ? null : nodeByPath[best]!
}

function isGroup(rules: Rules): rules is Schemas['SegmentGroup'] {
  return 'all' in rules || 'any' in rules
}

function toNode(rules: Rules): RuleNode {
  if (isGroup(rules)) {
    const join: Join = rules.all ? 'all' : 'any'
    return newGroup(join, (rules[join] ?? []).map(toNode))
  }
  const condition = rules as SegmentCondition
  const value = Array.isArray(condition.value) ? [...condition.value] : condition.value
  return newCondition(condition.field, condition.op, value === undefined ? null : value)
}

/** A saved segment's rules as an editable tree (the root is always a group). */
export function fromRules(rules: Rules): GroupNode {
  const node = toNode(rules)
  return node.type === 'group' ? node : newGroup('all', [node])
}

/** A fresh builder: everyone, until conditions are added. */
export function emptyTree(): GroupNode {
  return newGroup('all')
}
