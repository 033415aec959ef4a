// Adds up the gzipped JavaScript each route loads (its chunk and every chunk it imports,
// statically, from the entry) and fails above the budget. The counter must stay light.
import { readFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'

const dist = fileURLToPath(new URL('../dist/', import.meta.url))
const manifest = JSON.parse(readFileSync(`${dist}.vite/manifest.json`, 'utf8'))
const BUDGET_KB = 300
// Every signed-in screen renders inside the layout (header, menu, lock).
const LAYOUT = 'src/layouts/ConsoleLayout.vue'
// The routes whose first paint a cashier waits for, by the view module that renders them.
const ROUTES = {
  counter: 'src/views/CounterView.vue',
  workOrder: 'src/views/WorkOrderView.vue',
  checkout: 'src/views/CheckoutView.vue',
}

const gz = (file) => gzipSync(readFileSync(`${dist}${file}`)).length

function closure(keys, seen = new Set()) {
  for (const key of keys) {
    if (seen.has(key) || !manifest[key]) continue
    seen.add(key)
    closure(manifest[key].imports ?? [], seen)
  }
  return seen
}

const entry = Object.keys(manifest).find((key) => manifest[key].isEntry)
let failed = false
const rows = []
for (const [route, view] of Object.entries(ROUTES)) {
  if (!manifest[view]) {
    console.error(`check-bundle: ${view} is not a chunk of the build`)
    failed = true
    continue
  }
  const chunks = closure([entry, LAYOUT, view])
  const bytes = [...chunks].filter((k) => manifest[k].file.endsWith('.js')).reduce((sum, k) => sum + gz(manifest[k].file), 0)
  const kb = bytes / 1024
  rows.push(`${route.padEnd(10)} ${kb.toFixed(1).padStart(7)} KB gzipped JavaScript (budget ${BUDGET_KB} KB)`)
  if (kb > BUDGET_KB) failed = true
}
console.log(rows.join('\n'))
if (failed) {
  console.error('check-bundle: a route is over its JavaScript budget')
  process.exit(1)
}
