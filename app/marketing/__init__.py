"""Marketing (营销): member metrics, segments, campaigns, subscribe-message grants, the outbox of
pushes the scheduler sends, and the staff call list."""


def init_app(app):
    from app.common import events
    from app.marketing import visit_log
    from app.members import metrics

    # The member metrics live with the members (app/members/metrics.py); marketing, which uses
    # them, subscribes them to the work-order events.
    for event in (events.WORK_ORDER_SETTLED, events.WORK_ORDER_REFUNDED):
        events.subscribe(event, metrics.on_work_order_changed)
    events.subscribe(events.WORK_ORDER_SETTLED, visit_log.on_work_order_settled)
    events.subscribe(events.WORK_ORDER_REFUNDED, visit_log.on_work_order_refunded)
