// The list-and-dialog pattern of the templates tabs: load a page, open a dialog to create or edit,
// send a POST or a PATCH of only what changed, and show the service's refusal in Chinese.
import { ElMessage } from 'element-plus'
import { ref, type Ref } from 'vue'
import { ApiError } from '@/api/client'
import { changedFields } from '@/utils/changes'

export function errorText(cause: unknown): string {
  return cause instanceof ApiError ? cause.message : new ApiError('network_error', 0, String(cause)).message
}

interface Options<R extends { id: number }, F, B extends object> {
  /** Reads one page (or the whole list) of records. */
  list: (page: number) => Promise<{ items: R[]; total?: number }>
  /** A blank form for a new record, and a record as a form. */
  blank: () => F
  toForm: (record: R) => F
  /** The request body a form stands for (the same projection for the record as loaded and as edited). */
  toBody: (form: F) => B
  create: (body: B) => Promise<unknown>
  update: (id: number, changes: Partial<B>) => Promise<unknown>
  /** What to say when saved. */
  savedText: string
}

export function useRecordEditor<R extends { id: number }, F, B extends object>(options: Options<R, F, B>) {
  const records = ref([]) as Ref<R[]>
  const total = ref(0)
  const page = ref(1)
  const loading = ref(false)
  const open = ref(false)
  const editing = ref(null) as Ref<R | null>
  const form = ref(options.blank()) as Ref<F>
  const saving = ref(false)
  const error = ref('')

  async function load() {
    loading.value = true
    try {
      const result = await options.list(page.value)
      records.value = result.items
      total.value = result.total ?? result.items.length
    } catch (cause) {
      ElMessage.error(errorText(cause))
    } finally {
      loading.value = false
    }
  }

  function startCreate() {
    editing.value = null
    form.value = options.blank()
    error.value = ''
    open.value = true
  }

  function startEdit(id: number) {
    const record = records.value.find((r) => r.id === id)
    if (!record) return
    editing.value = record
    form.value = options.toForm(record)
    error.value = ''
    open.value = true
  }

  async function save() {
    saving.value = true
    error.value = ''
    try {
      if (editing.value) {
        const changes = changedFields(options.toBody(options.toForm(editing.value)), options.toBody(form.value))
        if (Object.keys(changes).length > 0) await options.update(editing.value.id, changes)
      } else {
        await options.create(options.toBody(form.value))
      }
      open.value = false
      ElMessage.success(options.savedText)
      await load()
    } catch (cause) {
      error.value = errorText(cause)
    } finally {
      saving.value = false
    }
  }

  return { records, total, page, loading, open, editing, form, saving, error, load, startCreate, startEdit, save }
}
