"""In-process domain events, so one domain can react to another without importing it.

``publish`` runs every handler synchronously inside the caller's transaction: a handler's
failure rolls the whole operation back. Handlers are registered by the domains' ``init_app``.
"""

from collections import defaultdict

_handlers = defaultdict(list)


def subscribe(event, handler):
    if handler not in _handlers[event]:
        _handlers[event].append(handler)


def publish(event, **payload):
    for handler in list(_handlers[event]):
        handler(**payload)


# Event names, in one place so a typo is an AttributeError rather than a silent no-op.
WORK_ORDER_SETTLED = "work_order_settled"  # work_order_id, member_id, paid_fen, now
WORK_ORDER_REFUNDED = "work_order_refunded"  # work_order_id, member_id, now
# A member logged in presenting someone's referral code: member_id, referral_code, created, now
REFERRAL_CODE_PRESENTED = "referral_code_presented"
