"""Owner statistics (统计): the dashboard overview, daily series and best customers, as JSON or CSV.

The daily sales rollup the overview reads is kept current by the work-order events
(app/stats/rollup.py); the handlers run inside the settle and refund transactions."""


def init_app(app):
    from app.common import events
    from app.stats import rollup

    events.subscribe(events.WORK_ORDER_SETTLED, rollup.on_work_order_settled)
    events.subscribe(events.WORK_ORDER_REFUNDED, rollup.on_work_order_refunded)
