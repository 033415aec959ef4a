"""The audit log (操作日志): who changed which money-shaping rule, price, account or balance, when,
and what it was before and after. Append-only; the owner reads it."""
