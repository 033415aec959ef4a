"""Service notices queued as things happen at the counter (not by a daily job): the car-ready notice
(完工提醒) and the request to approve extra work (增项确认).

Each is one outbox row inserted in the caller's transaction, so it exists only if the change that
caused it commits; its dedupe key (kind, member, occasion) means a repeated change queues nothing.
The sender (``send_outbox``) sends it like every push: only with a grant of its template key, else
it is recorded ``skipped_no_grant`` and the member goes on the call list.
"""

from app.common import clock
from app.marketing.outbox import enqueue_rows, message_row
from app.merchant.services import merchant_timezone

REF_TYPE = "work_order"


def queue_car_ready(*, member_id, work_order_id, store_id, plate, completed_at):
    """Tell the member their car is ready, at most once per work order (completing it again after
    it went back to in_progress queues nothing). Returns whether a message was queued."""
    local = completed_at.astimezone(clock.zone(merchant_timezone()))
    row = message_row(
        "car_ready",
        member_id,
        work_order_id,
        completed_at,
        ref_type=REF_TYPE,
        ref_id=work_order_id,
        store_id=store_id,
        plate=plate,
        occasion_date=local.date(),
        detail=local.strftime("%Y-%m-%d %H:%M"),
    )
    return enqueue_rows([row]) == 1


def queue_extra_work_approval(*, member_id, work_order_id, store_id, plate, line_ids, names, now):
    """Ask the member to approve extra work added to their order: one message per batch of added
    lines (keyed by the batch's first line). Returns whether a message was queued."""
    row = message_row(
        "extra_work_approval",
        member_id,
        f"{work_order_id}:{min(line_ids)}",
        now,
        ref_type=REF_TYPE,
        ref_id=work_order_id,
        store_id=store_id,
        plate=plate,
        occasion_date=clock.local_today(merchant_timezone(), now),
        detail="、".join(names)[:100],
    )
    return enqueue_rows([row]) == 1
