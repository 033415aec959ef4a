import { describe, expect, it } from 'vitest'
import {
  MAX_CONDITIONS,
  MAX_DEPTH,
  addCondition,
  addGroup,
  canAddGroup,
  countConditions,
  emptyTree,
  findNode,
  fromRules,
  isComplete,
  newCondition,
  nodeForPath,
  removeNode,
  serialise,
  setField,
  setOp,
  valueKind,
  type ConditionNode,
  type GroupNode,
  type Rules,
} from './segmentRules'

function condition(root: GroupNode, groupId: string, field: ConditionNode['field'], op: ConditionNode['op'], value: ConditionNode['value']) {
  const node = addCondition(root, groupId, field)
  setOp(node, op)
  node.value = value
  return node
}

describe('editing the tree', () => {
  it('starts as everyone: an empty AND', () => {
    expect(serialise(emptyTree()).rules).toEqual({ all: [] })
  })

  it('adds conditions and nested groups and serialises them in the API shape', () => {
    const root = emptyTree()
    condition(root, root.id, 'tier_rank', 'gte', 2)
    const group = addGroup(root, root.id, 'any')
    const first = group.children[0] as ConditionNode
    setField(first, 'last_visit')
    setOp(first, 'not_within_days')
    first.value = 180
    condition(root, group.id, 'last_visit', 'never', true)
    expect(serialise(root).rules).toEqual({
      all: [
        { field: 'tier_rank', op: 'gte', value: 2 },
        {
          any: [
            { field: 'last_visit', op: 'not_within_days', value: 180 },
            { field: 'last_visit', op: 'never', value: true },
          ],
        },
      ],
    })
  })

  it('removes a condition or a whole group, never the root', () => {
    const root = emptyTree()
    const kept = condition(root, root.id, 'lifecycle', 'in', ['at_risk'])
    const group = addGroup(root, root.id)
    condition(root, group.id, 'points', 'gt', 100)
    expect(countConditions(root)).toBe(3)
    expect(removeNode(root, group.id)).toBe(true)
    expect(countConditions(root)).toBe(1)
    expect(root.children).toEqual([kept])
    expect(removeNode(root, root.id)).toBe(false)
    expect(removeNode(root, kept.id)).toBe(true)
    expect(serialise(root).rules).toEqual({ all: [] })
  })

  it('finds nodes with their parent and depth', () => {
    const root = emptyTree()
    const group = addGroup(root, root.id)
    const inner = addGroup(root, group.id)
    expect(findNode(root, root.id)).toMatchObject({ parent: null, depth: 1 })
    expect(findNode(root, group.id)).toMatchObject({ parent: root, depth: 2 })
    expect(findNode(root, inner.id)).toMatchObject({ parent: group, depth: 3 })
    expect(findNode(root, inner.children[0]!.id)).toMatchObject({ parent: inner, depth: 3 })
    expect(findNode(root, 'nothing')).toBeNull()
  })

  it('nests groups no deeper than the service allows', () => {
    const root = emptyTree()
    let group: GroupNode = root
    for (let depth = 2; depth <= MAX_DEPTH; depth += 1) group = addGroup(root, group.id)
    expect(findNode(root, group.id)!.depth).toBe(MAX_DEPTH)
    expect(canAddGroup(root, group.id)).toBe(false)
    expect(() => addGroup(root, group.id)).toThrow()
    expect(canAddGroup(root, root.id)).toBe(true)
  })

  it('stops at the most conditions the service takes', () => {
    const root = emptyTree()
    for (let i = 0; i < MAX_CONDITIONS; i += 1) addCondition(root, root.id)
    expect(() => addCondition(root, root.id)).toThrow()
  })
})

describe('fields, operators and values', () => {
  it('offers the value input each operator needs', () => {
    expect(valueKind('tags', 'has_all')).toBe('many')
    expect(valueKind('lifecycle', 'in')).toBe('many')
    expect(valueKind('lifecycle', 'eq')).toBe('one')
    expect(valueKind('balance', 'gte')).toBe('number')
    expect(valueKind('balance', 'between')).toBe('numberRange')
    expect(valueKind('last_visit', 'within_days')).toBe('number')
    expect(valueKind('last_visit', 'before')).toBe('date')
    expect(valueKind('last_visit', 'between')).toBe('dateRange')
    expect(valueKind('last_visit', 'never')).toBe('flag')
  })

  it('a new field starts with its first operator and no value', () => {
    const node = newCondition('lifecycle', 'in', ['active'])
    setField(node, 'tags')
    expect(node).toMatchObject({ field: 'tags', op: 'has_any', value: [] })
    setField(node, 'total_paid')
    expect(node).toMatchObject({ field: 'total_paid', op: 'gte', value: undefined })
  })

  it('keeps the value when the operator takes the same kind of value', () => {
    const node = newCondition('balance', 'gte', 10000)
    setOp(node, 'lt')
    expect(node.value).toBe(10000)
    setOp(node, 'between')
    expect(node.value).toEqual([null, null])
    const tags = newCondition('tags', 'has_any', [3, 4])
    setOp(tags, 'has_none')
    expect(tags.value).toEqual([3, 4])
  })

  it('knows when a value is finished', () => {
    expect(isComplete(newCondition('tags', 'has_any', []))).toBe(false)
    expect(isComplete(newCondition('tags', 'has_any', [1]))).toBe(true)
    expect(isComplete(newCondition('visit_count', 'gte'))).toBe(false)
    expect(isComplete(newCondition('visit_count', 'gte', 0))).toBe(true)
    expect(isComplete(newCondition('balance', 'between', [100, null]))).toBe(false)
    expect(isComplete(newCondition('balance', 'between', [500, 100]))).toBe(false)
    expect(isComplete(newCondition('balance', 'between', [100, 500]))).toBe(true)
    expect(isComplete(newCondition('last_visit', 'before', '2025-1-1'))).toBe(false)
    expect(isComplete(newCondition('last_visit', 'before', '2025-01-01'))).toBe(true)
    expect(isComplete(newCondition('last_visit', 'between', ['2025-02-01', '2025-01-01']))).toBe(false)
    expect(isComplete(newCondition('last_visit', 'never', false))).toBe(true)
    // "No tier" is a value; no lifecycle is not.
    expect(isComplete(newCondition('tier', 'eq', null))).toBe(true)
    expect(isComplete(newCondition('lifecycle', 'eq', null))).toBe(false)
  })
})

describe('what is sent', () => {
  it('leaves unfinished conditions out and counts them', () => {
    const root = emptyTree()
    condition(root, root.id, 'lifecycle', 'in', ['churned'])
    addCondition(root, root.id, 'visit_count')
    const result = serialise(root)
    expect(result.rules).toEqual({ all: [{ field: 'lifecycle', op: 'in', value: ['churned'] }] })
    expect(result.incomplete).toBe(1)
  })

  it('leaves out a nested group with nothing finished (an empty OR would select no one)', () => {
    const root = emptyTree()
    const kept = condition(root, root.id, 'points', 'gte', 1000)
    const group = addGroup(root, root.id, 'any')
    addGroup(root, group.id, 'all')
    const { rules, nodeByPath } = serialise(root)
    expect(rules).toEqual({ all: [{ field: 'points', op: 'gte', value: 1000 }] })
    expect(nodeByPath).toEqual({ rules: root.id, 'rules.all[0]': kept.id })
  })

  it("maps the service's error path back to the condition, counting only what was sent", () => {
    const root = emptyTree()
    addCondition(root, root.id, 'visit_count') // unfinished: not sent, so not counted in the paths
    const group = addGroup(root, root.id, 'any')
    const first = group.children[0] as ConditionNode
    first.value = ['active']
    const bad = condition(root, group.id, 'vehicle_age', 'gte', 500)
    const { nodeByPath } = serialise(root)
    expect(nodeByPath['rules.all[0]']).toBe(group.id)
    expect(nodeForPath(nodeByPath, 'rules.all[0].any[1].value')).toBe(bad.id)
    expect(nodeForPath(nodeByPath, 'rules.all[0].any[0]')).toBe(first.id)
    expect(nodeForPath(nodeByPath, 'rules.all[0].any')).toBe(group.id)
    expect(nodeForPath(nodeByPath, 'elsewhere')).toBeNull()
  })

  it('reads saved rules back into a tree that serialises to the same rules', () => {
    const rules: Rules = {
      all: [
        { field: 'tier_rank', op: 'gte', value: 3 },
        {
          any: [
            { field: 'last_visit', op: 'not_within_days', value: 180 },
            { field: 'tags', op: 'has_any', value: [1, 2] },
            { field: 'tier', op: 'eq', value: null },
          ],
        },
      ],
    }
    const saved = structuredClone(rules)
    const tree = fromRules(rules)
    expect(serialise(tree).rules).toEqual(rules)
    // Editing the tree does not touch the saved rules.
    ;((tree.children[1] as GroupNode).children[1] as ConditionNode).value = [9]
    expect(rules).toEqual(saved)
  })

  it('wraps a lone condition in a group', () => {
    const tree = fromRules({ field: 'birthday_month', op: 'eq', value: 5 })
    expect(serialise(tree).rules).toEqual({ all: [{ field: 'birthday_month', op: 'eq', value: 5 }] })
  })
})
