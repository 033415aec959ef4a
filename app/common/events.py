"""In-process domain events, so one domain can react to another without importing it.

``publish`` runs every handler synchronously inside the caller's transaction: a handler's
failure rolls the whole operation back. The handlers, and the order they run in, are listed in one
module, app/consequences.py (registered by the application factory).
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
# work_order_id, member_id, vehicle_id, store_id, plate, paid_fen, settled_at, now
WORK_ORDER_SETTLED = "work_order_settled"
# work_order_id, member_id, vehicle_id, store_id, settled_at, refunded_at, now
WORK_ORDER_REFUNDED = "work_order_refunded"
# A member logged in presenting someone's referral code: member_id, referral_code, created, now
REFERRAL_CODE_PRESENTED = "referral_code_presented"
