// Moving a shop in and out against the real service: a CSV with one bad row is reported by row and
// column; the corrected file is checked, imported as a background job, and the member's balance the
// API answers equals the file; the members export downloads as a CSV with a byte-order mark.
import { readFile } from 'node:fs/promises'
import { expect, signIn, staffApi, test } from './fixtures'

const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('')
const header = '手机号,姓名,车牌号,储值本金(元),赠送余额(元),积分\r\n'
const csv = (rows: string[]) => Buffer.from(`\ufeff${header}${rows.join('\r\n')}\r\n`, 'utf-8')

test('a CSV with one bad row is reported by row; the corrected file imports and the balance equals the file', async ({ page, request }) => {
  const owner = await staffApi(request, 'owner')
  const phone = `137${digits(8)}`
  const other = `136${digits(8)}`
  const plate = `粤B${digits(5)}`
  await signIn(page, request, 'owner', '/console/imports')
  await expect(page.getByTestId('import-history')).toBeVisible()

  // The file is chosen with the screen's own (Chinese) button, from the keyboard.
  await expect(page.getByTestId('import-file-name')).toHaveText('未选择文件')
  const chooser = page.waitForEvent('filechooser')
  await page.getByRole('button', { name: '选择文件' }).focus()
  await page.keyboard.press('Enter')
  await (await chooser).setFiles({ name: 'old.csv', mimeType: 'text/csv', buffer: csv([`${phone},导入测试,${plate.toLowerCase()},500.10,50,120`, `${other.slice(0, 7)},坏行,,abc,,`]) })
  await expect(page.getByTestId('import-file-name')).toHaveText('old.csv')
  await page.getByTestId('import-check').click()
  const errors = page.getByTestId('import-errors')
  await expect(errors).toBeVisible()
  await expect(errors.locator('tbody tr')).toHaveCount(2)
  await expect(errors.locator('tbody tr').first()).toContainText('3')
  await expect(errors).toContainText('手机号')
  await expect(errors).toContainText('储值本金(元)')
  await expect(page.getByTestId('import-commit')).toBeDisabled()

  await page.getByTestId('import-file').setInputFiles({ name: 'fixed.csv', mimeType: 'text/csv', buffer: csv([`${phone},导入测试,${plate.toLowerCase()},500.10,50,120`, `${other},好行,,0.29,,`]) })
  await page.getByTestId('import-check').click()
  await expect(page.getByTestId('import-count-create')).toHaveText('新建 2')
  await expect(page.getByTestId('import-errors')).toHaveCount(0)
  await page.getByTestId('import-commit').click()
  await expect(page.getByTestId('import-status')).toHaveText('已导入')
  await expect(page.getByTestId('import-result-created')).toHaveText('2')

  const found = await owner.post<{ items: { id: number }[] }>('/members/search', { q: phone })
  expect(found.items).toHaveLength(1)
  const wallet = await owner.get<{ principal_fen: number; bonus_fen: number; balance_fen: number; points: number }>(`/members/${found.items[0]!.id}/wallet`)
  expect([wallet.principal_fen, wallet.bonus_fen, wallet.balance_fen, wallet.points]).toEqual([50010, 5000, 55010, 120])
})

test('the owner exports the members as CSV and downloads it', async ({ page, request }) => {
  await signIn(page, request, 'owner', '/console/exports')
  await page.getByTestId('export-kind-members').click()
  await page.getByTestId('export-format-csv').click()
  await page.getByTestId('export-start').click()
  const button = page.locator('[data-testid^="export-download-"]').first()
  await expect(button).toBeVisible()
  const [download] = await Promise.all([page.waitForEvent('download'), button.click()])
  expect(download.suggestedFilename()).toMatch(/\.csv$/)
  const content = await readFile((await download.path())!)
  expect(content.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]))
  expect(content.toString('utf-8')).toContain('手机号,姓名')
})
