// The console's side menu, from the routes: every titled screen the role may open, in sub-menus by
// the route's `meta.group` (收银 / 营销 / 客户关怀 / 经营 / 管理), so a new screen joins its group by
// its route alone. A titled screen without a group is listed after the groups.
import type { RouteRecordRaw } from 'vue-router'

export const MENU_GROUPS = [
  { key: 'counter', title: '收银' },
  { key: 'marketing', title: '营销' },
  { key: 'care', title: '客户关怀' },
  { key: 'business', title: '经营' },
  { key: 'admin', title: '管理' },
] as const

export type MenuGroup = (typeof MENU_GROUPS)[number]['key']
export interface MenuItem {
  path: string
  title: string
}
export interface MenuSection {
  key: MenuGroup
  title: string
  items: MenuItem[]
}

export function buildMenu<R extends string>(children: RouteRecordRaw[], role: R | null): { groups: MenuSection[]; loose: MenuItem[] } {
  const visible = children
    .filter((r) => r.meta?.title && r.meta.menu !== false && !String(r.path).includes(':'))
    .filter((r) => !r.meta?.roles || (role !== null && (r.meta.roles as string[]).includes(role)))
  const item = (r: RouteRecordRaw): MenuItem => ({ path: `/${r.path}`, title: r.meta!.title as string })
  const groups = MENU_GROUPS.map((group) => ({ ...group, items: visible.filter((r) => r.meta?.group === group.key).map(item) })).filter(
    (group) => group.items.length > 0,
  )
  const known = new Set<string>(MENU_GROUPS.map((group) => group.key))
  const loose = visible.filter((r) => !r.meta?.group || !known.has(r.meta.group as string)).map(item)
  return { groups, loose }
}

/** The group whose item is the current path (its sub-menu opens with the page). */
export function groupOf(groups: MenuSection[], path: string): MenuGroup | null {
  return groups.find((group) => group.items.some((item) => item.path === path))?.key ?? null
}
