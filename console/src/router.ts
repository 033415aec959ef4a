// Every screen of the console, lazily loaded (the counter stays light), with the roles that see it.
// The service checks every call's role again; `meta.roles` only keeps menus and links honest.
import { createRouter, createWebHistory, type RouteRecordRaw } from 'vue-router'
import { useSession } from '@/stores/session'
import type { MenuGroup } from '@/utils/menu'

export type Role = 'cashier' | 'advisor' | 'technician' | 'marketing' | 'owner'
export const COUNTER_ROLES: Role[] = ['cashier', 'advisor', 'owner']
export const OFFICE_ROLES: Role[] = ['marketing', 'owner']

declare module 'vue-router' {
  interface RouteMeta {
    title?: string
    roles?: Role[]
    public?: boolean
    menu?: boolean
    /** The side menu's sub-menu the screen is listed under (src/utils/menu.ts). */
    group?: MenuGroup
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/views/LoginView.vue'), meta: { public: true, title: '登录' } },
  {
    path: '/',
    component: () => import('@/layouts/ConsoleLayout.vue'),
    children: [
      { path: '', name: 'home', redirect: () => homeFor(useSession().role) },
      { path: 'counter', name: 'counter', component: () => import('@/views/CounterView.vue'), meta: { title: '收银台', roles: COUNTER_ROLES, group: 'counter' } },
      { path: 'cars/:vehicleId(\\d+)', name: 'vehicle', component: () => import('@/views/VehicleView.vue'), meta: { title: '车辆与会员', roles: COUNTER_ROLES }, props: (r) => ({ vehicleId: Number(r.params.vehicleId) }) },
      { path: 'work-orders/:workOrderId(\\d+)', name: 'work-order', component: () => import('@/views/WorkOrderView.vue'), meta: { title: '工单', roles: COUNTER_ROLES }, props: (r) => ({ workOrderId: Number(r.params.workOrderId) }) },
      { path: 'work-orders/:workOrderId(\\d+)/checkout', name: 'checkout', component: () => import('@/views/CheckoutView.vue'), meta: { title: '结算', roles: COUNTER_ROLES }, props: (r) => ({ workOrderId: Number(r.params.workOrderId) }) },
      { path: 'work-orders/:workOrderId(\\d+)/receipt', name: 'receipt', component: () => import('@/views/ReceiptView.vue'), meta: { title: '小票', roles: COUNTER_ROLES }, props: (r) => ({ workOrderId: Number(r.params.workOrderId) }) },
      { path: 'work-orders/:workOrderId(\\d+)/refund', name: 'refund', component: () => import('@/views/RefundView.vue'), meta: { title: '退款', roles: ['owner'] }, props: (r) => ({ workOrderId: Number(r.params.workOrderId) }) },
      { path: 'board', name: 'board', component: () => import('@/views/WorkshopBoardView.vue'), meta: { title: '车间看板', roles: COUNTER_ROLES, group: 'counter' } },
      { path: 'bookings', name: 'bookings', component: () => import('@/views/BookingBoardView.vue'), meta: { title: '今日预约', roles: COUNTER_ROLES, group: 'counter' } },
      { path: 'members/:memberId(\\d+)/topup', name: 'topup', component: () => import('@/views/TopUpView.vue'), meta: { title: '储值充值', roles: COUNTER_ROLES }, props: (r) => ({ memberId: Number(r.params.memberId) }) },
      { path: 'stock', name: 'stock', component: () => import('@/views/StockView.vue'), meta: { title: '库存', roles: COUNTER_ROLES, group: 'counter' } },
      { path: 'shift', name: 'shift', component: () => import('@/views/ShiftCloseView.vue'), meta: { title: '交班', roles: COUNTER_ROLES, group: 'counter' } },
      { path: 'segments', name: 'segments', component: () => import('@/views/SegmentsView.vue'), meta: { title: '客群', roles: OFFICE_ROLES, group: 'marketing' } },
      { path: 'campaigns', name: 'campaigns', component: () => import('@/views/CampaignsView.vue'), meta: { title: '营销活动', roles: OFFICE_ROLES, group: 'marketing' } },
      { path: 'campaigns/new', name: 'campaign-new', component: () => import('@/views/CampaignWizardView.vue'), meta: { title: '新建活动', roles: OFFICE_ROLES, menu: false } },
      { path: 'campaigns/:campaignId(\\d+)', name: 'campaign', component: () => import('@/views/CampaignResultView.vue'), meta: { title: '活动效果', roles: OFFICE_ROLES }, props: (r) => ({ campaignId: Number(r.params.campaignId) }) },
      { path: 'holidays', name: 'holidays', component: () => import('@/views/HolidaysView.vue'), meta: { title: '节日日历', roles: OFFICE_ROLES, group: 'marketing' } },
      { path: 'templates', name: 'templates', component: () => import('@/views/TemplatesView.vue'), meta: { title: '卡券与方案', roles: OFFICE_ROLES, group: 'marketing' } },
      { path: 'follow-ups', name: 'follow-ups', component: () => import('@/views/CallListView.vue'), meta: { title: '回访/提醒', roles: ['cashier', 'advisor', 'marketing', 'owner'], group: 'care' } },
      { path: 'exchange', name: 'exchange', component: () => import('@/views/ExchangeView.vue'), meta: { title: '积分兑换', roles: ['cashier', 'advisor', 'marketing', 'owner'], group: 'marketing' } },
      { path: 'complaints', name: 'complaints', component: () => import('@/views/ComplaintsView.vue'), meta: { title: '投诉', roles: ['marketing', 'owner'], group: 'care' } },
      { path: 'referrals', name: 'referrals', component: () => import('@/views/ReferralsView.vue'), meta: { title: '推荐有礼', roles: OFFICE_ROLES, group: 'marketing' } },
      { path: 'dashboard', name: 'dashboard', component: () => import('@/views/DashboardView.vue'), meta: { title: '经营看板', roles: ['owner'], group: 'business' } },
      { path: 'admin/staff', name: 'admin-staff', component: () => import('@/views/StaffAdminView.vue'), meta: { title: '员工', roles: ['owner'], group: 'admin' } },
      { path: 'admin/stores', name: 'admin-stores', component: () => import('@/views/StoresAdminView.vue'), meta: { title: '门店', roles: ['owner'], group: 'admin' } },
      { path: 'admin/settings', name: 'admin-settings', component: () => import('@/views/SettingsView.vue'), meta: { title: '规则设置', roles: ['owner'], group: 'admin' } },
      { path: 'accounts', name: 'accounts', component: () => import('@/views/AccountsView.vue'), meta: { title: '挂账客户', roles: COUNTER_ROLES, group: 'counter' } },
      { path: 'accounts/:accountId(\\d+)', name: 'account', component: () => import('@/views/AccountDetailView.vue'), meta: { title: '挂账客户详情', roles: COUNTER_ROLES, menu: false }, props: (r) => ({ accountId: Number(r.params.accountId) }) },
      { path: 'audit', name: 'audit', component: () => import('@/views/AuditLogView.vue'), meta: { title: '操作日志', roles: ['owner'], group: 'admin' } },
      { path: 'imports', name: 'imports', component: () => import('@/views/ImportView.vue'), meta: { title: '导入', roles: ['owner'], group: 'admin' } },
      { path: 'exports', name: 'exports', component: () => import('@/views/ExportView.vue'), meta: { title: '导出', roles: ['owner'], group: 'admin' } },
    ],
  },
  { path: '/:pathMatch(.*)*', name: 'not-found', redirect: '/' },
]

export function homeFor(role: Role | null): string {
  if (role === 'marketing') return '/segments'
  return '/counter'
}

export const router = createRouter({ history: createWebHistory('/console/'), routes })

router.beforeEach((to) => {
  const session = useSession()
  if (to.meta.public) return true
  if (!session.isSignedIn) return { name: 'login', query: to.fullPath === '/' ? {} : { next: to.fullPath } }
  const roles = to.meta.roles
  if (roles && session.role && !roles.includes(session.role)) return homeFor(session.role) === to.path ? true : homeFor(session.role)
  return true
})

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · Pitstop` : 'Pitstop'
})
