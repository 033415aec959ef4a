// Profile facts (画像) staff keep about a member (app/members/profile.py): their Chinese labels.
import type { Schemas } from '@/api/client'

type Member = Schemas['MemberStaffRead']
export type Occupation = NonNullable<Member['occupation']>
export type CarUse = NonNullable<Member['car_use']>
export type AcquisitionChannel = NonNullable<Member['acquisition_channel']>

export const GENDER_LABELS: Record<string, string> = { male: '男', female: '女', unknown: '未知' }

export const OCCUPATION_LABELS: Record<Occupation, string> = {
  office_worker: '企业职员',
  civil_servant: '公务员/事业单位',
  self_employed: '个体经营',
  professional: '专业人士',
  driver: '职业司机',
  worker: '工人',
  student: '学生',
  retired: '退休',
  other: '其他',
}

export const CAR_USE_LABELS: Record<CarUse, string> = {
  private: '家用',
  commute: '上下班通勤',
  ride_hailing: '网约车',
  taxi: '出租车',
  business: '公务/商务',
  freight: '货运',
  other: '其他',
}

export const CHANNEL_LABELS: Record<AcquisitionChannel, string> = {
  walk_in: '路过进店',
  referral: '朋友介绍',
  wechat: '微信/公众号',
  dianping: '大众点评/美团',
  douyin: '抖音',
  map: '地图导航',
  insurer: '保险公司推荐',
  dealer: '4S店/车商推荐',
  advertising: '广告/传单',
  other: '其他',
}

/** The facts the statistics break members down by, with their titles and value labels. */
export const FACT_TITLES: Record<string, string> = {
  gender: '性别',
  birth_year: '出生年代',
  region: '地区',
  occupation: '职业',
  car_use: '用车性质',
  acquisition_channel: '获客渠道',
}

export function factValueLabel(fact: string, value: string): string {
  if (value === 'none') return '未填写'
  if (value === 'other' && fact === 'region') return '其他地区'
  const labels: Record<string, Record<string, string>> = {
    gender: GENDER_LABELS,
    occupation: OCCUPATION_LABELS,
    car_use: CAR_USE_LABELS,
    acquisition_channel: CHANNEL_LABELS,
  }
  if (fact === 'birth_year') return value.replace(/^(\d{4})s$/, (_, year: string) => `${year.slice(2)}后`)
  return labels[fact]?.[value] ?? value
}

export function optionsOf(labels: Record<string, string>): { value: string; label: string }[] {
  return Object.entries(labels).map(([value, label]) => ({ value, label }))
}
