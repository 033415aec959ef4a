// The catalog the work order searches: every active service item and part, read page by page when
// the screen opens. `ready` resolves when it is in, so an Enter typed before it arrived still adds.
import { ref, shallowRef } from 'vue'
import { api, call, type Schemas } from '@/api/client'
import { catalogHits, type CatalogHit } from '@/utils/catalogSearch'

const PER_PAGE = 100

async function allPages<T>(load: (page: number) => Promise<{ items: T[]; total: number }>): Promise<T[]> {
  const rows: T[] = []
  for (let page = 1; ; page += 1) {
    const answer = await load(page)
    rows.push(...answer.items)
    if (answer.items.length < PER_PAGE || rows.length >= answer.total) return rows
  }
}

export function useCatalog() {
  const hits = shallowRef<CatalogHit[]>([])
  const loading = ref(true)
  const failed = ref(false)

  const ready: Promise<void> = Promise.all([
    allPages<Schemas['ServiceItemRead']>((page) => call(api.GET('/api/v1/service-items', { params: { query: { page, per_page: PER_PAGE } } }))),
    allPages<Schemas['PartRead']>((page) => call(api.GET('/api/v1/parts', { params: { query: { page, per_page: PER_PAGE } } }))),
  ])
    .then(([items, parts]) => {
      hits.value = catalogHits(items, parts)
    })
    .catch(() => {
      failed.value = true
    })
    .finally(() => {
      loading.value = false
    })

  return { hits, loading, failed, ready }
}
