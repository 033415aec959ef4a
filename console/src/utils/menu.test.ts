import { describe, expect, it } from 'vitest'
import { routes } from '@/router'
import { buildMenu, groupOf } from './menu'

const children = routes.find((r) => r.path === '/')!.children!

describe('the side menu', () => {
  it('groups the owner’s screens by their route’s group, in the groups’ order', () => {
    const { groups, loose } = buildMenu(children, 'owner')
    expect(groups.map((g) => g.title)).toEqual(['收银', '营销', '客户关怀', '经营', '管理'])
    expect(groups[0]!.items.map((i) => i.title)).toContain('收银台')
    expect(groups.find((g) => g.key === 'admin')!.items.map((i) => i.title)).toContain('操作日志')
    expect(loose).toEqual([])
  })

  it('shows a role only its screens, and a group only when it has one', () => {
    const { groups } = buildMenu(children, 'marketing')
    expect(groups.map((g) => g.key)).toEqual(['marketing', 'care'])
    expect(groups.flatMap((g) => g.items).some((i) => i.title === '收银台')).toBe(false)
  })

  it('lists a titled screen without a group after the groups', () => {
    const extra = [...children, { path: 'new-screen', component: {}, meta: { title: '新页面' } }]
    expect(buildMenu(extra, 'owner').loose).toEqual([{ path: '/new-screen', title: '新页面' }])
  })

  it('opens the group of the current page', () => {
    const { groups } = buildMenu(children, 'owner')
    expect(groupOf(groups, '/audit')).toBe('admin')
    expect(groupOf(groups, '/nowhere')).toBeNull()
  })
})
