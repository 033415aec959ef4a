// Chinese messages for staff, by the service's stable error code (docs/errors.md lists them all;
// errors.test.ts fails when a code of openapi.json's x-error-codes has no message here).
export const ERROR_MESSAGES: Record<string, string> = {
  network_error: '网络连接失败，请检查网络后重试',
  bad_request: '请求有误',
  unauthorized: '登录已失效，请重新登录',
  forbidden: '当前角色无权执行此操作',
  not_found: '未找到对应记录',
  conflict: '数据已被修改，请刷新后重试',
  validation_error: '填写的内容有误，请检查后重试',
  rate_limited: '操作过于频繁，请稍后再试',
  internal_error: '系统出错了，请稍后重试',
  database_unavailable: '系统繁忙，请稍后重试',
  invalid_credentials: '用户名或密码错误',
  insufficient_balance: '储值余额不足',
  // Staff and store administration
  last_owner: '这是唯一在用的店长账号，不能停用或改为其他角色；请先设置另一位店长',
  invalid_username: '用户名为 1–64 个字符，不能含空格',
}

/** The message staff see for a code; an unknown code falls back to the service's own words. */
export function messageFor(code: string, fallback = ''): string {
  return ERROR_MESSAGES[code] ?? (fallback || `操作失败（${code}）`)
}
