// Runs a request on behalf of a button: shows the Chinese message of a refusal, and after a
// network failure offers 重试, which sends the same Idempotency-Key so the service applies the
// action once however the failure happened.
import { ElMessage, ElMessageBox } from 'element-plus'
import { ref } from 'vue'
import { ApiError } from '@/api/client'
import { IdempotentAction } from '@/api/idempotency'

export function useApiAction<A extends unknown[], T>(run: (idempotencyKey: string, ...args: A) => Promise<T>) {
  const busy = ref(false)
  const error = ref<ApiError | null>(null)
  const action = new IdempotentAction()

  async function execute(...args: A): Promise<T | undefined> {
    busy.value = true
    error.value = null
    try {
      const result = await run(action.currentKey, ...args)
      action.done()
      return result
    } catch (cause) {
      const failure = cause instanceof ApiError ? cause : new ApiError('network_error', 0, String(cause))
      error.value = failure
      if (!failure.isNetwork) {
        action.done()
        ElMessage.error(failure.message)
        return undefined
      }
      busy.value = false
      const retry = await ElMessageBox.confirm(`${failure.message}。重试不会重复扣款。`, '网络异常', {
        confirmButtonText: '重试',
        cancelButtonText: '取消',
        type: 'warning',
      }).then(
        () => true,
        () => false,
      )
      return retry ? execute(...args) : undefined
    } finally {
      busy.value = false
    }
  }

  return { execute, busy, error }
}
