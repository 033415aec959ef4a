// Lists come a page at a time ({items, total, page, per_page}, at most 100 a page): a board that
// needs a whole day asks page after page until it has them all, within a bound.
export async function fetchAllPages<T>(fetchPage: (page: number) => Promise<{ items: T[]; total: number }>, maxPages = 20): Promise<T[]> {
  const all: T[] = []
  for (let page = 1; page <= maxPages; page += 1) {
    const { items, total } = await fetchPage(page)
    all.push(...items)
    if (items.length === 0 || all.length >= total) break
  }
  return all
}
