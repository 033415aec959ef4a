"""The settle's figures (the member's visit statistics and tier check, member metrics, marketing's
visit, the daily sales rollup) are deferred past
its commit through an outbox (app/common/deferred.py): the cashier is answered first, the figures
follow once the response is sent, each event runs exactly once, a failure is kept and retried, and
a refund runs its order's pending figures before undoing them."""

from app.common import deferred
from app.common.jobs import run_job
from app.consequences import SETTLED_ORDER_FIGURES
from tests.factories import open_order
from tests.helpers import run_together
from tests.ledgers import scalar

PENDING = "SELECT COUNT(*) FROM deferred_events WHERE processed_at IS NULL"
VISITS = "SELECT COUNT(*) FROM marketing_visits WHERE work_order_id = :o"
SOLD = "SELECT COALESCE(SUM(work_orders), 0) FROM stats_daily_sales WHERE kind = 'orders'"
MEMBER_VISITS = "SELECT paid_visit_count FROM members WHERE id = :m"


def _wash(api, staff_tokens, stores, catalog):
    return open_order(api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])


def _settle(client, token, order, key=None):
    headers = {"Authorization": f"Bearer {token}"}
    if key:
        headers["Idempotency-Key"] = key
    return client.post(
        f"/api/v1/work-orders/{order['id']}/settle",
        json={"tenders": [{"type": "cash", "amount_fen": order["total_fen"]}]},
        headers=headers,
    )


def test_the_cashier_is_answered_first_and_the_figures_follow_once_the_response_is_sent(
    app, client, api, staff_tokens, stores, catalog, member
):
    app.config["DEFERRED_AFTER_RESPONSE"] = True
    order = _wash(api, staff_tokens, stores, catalog)
    response = _settle(client, staff_tokens["cashier"], order)
    assert response.status_code == 200 and response.get_json()["status"] == "settled"
    # Committed with the settle: the order, its money, and one pending event; not yet the figures.
    assert scalar(app, "SELECT status FROM work_orders WHERE id = :o", o=order["id"]) == "settled"
    assert scalar(app, PENDING) == 1
    assert scalar(app, VISITS, o=order["id"]) == 0 and scalar(app, SOLD) == 0
    assert scalar(app, MEMBER_VISITS, m=member["id"]) == 0
    response.close()  # what the WSGI server does once the body is sent
    assert scalar(app, PENDING) == 0
    assert scalar(app, VISITS, o=order["id"]) == 1 and scalar(app, SOLD) == 1
    assert scalar(app, MEMBER_VISITS, m=member["id"]) == 1
    assert scalar(app, "SELECT value_class FROM members WHERE id = :m", m=member["id"]) != "none"
    with app.app_context():
        assert deferred.run_pending() == 0  # nothing is run twice
        assert run_job("deferred_events") == {"processed": 0}
    assert scalar(app, SOLD) == 1


def test_the_tier_upgrade_follows_the_commit_once_and_prices_the_next_order(
    app, client, api, staff_tokens, stores, catalog, member, gold
):
    app.config["DEFERRED_AFTER_RESPONSE"] = True
    # Gold needs 10,000 yuan paid within 12 months: this order pays 10,199.49.
    order = open_order(
        api, staff_tokens["cashier"], stores[0], [{"service_item_id": catalog["oil_change"], "quantity": 51}]
    )
    response = _settle(client, staff_tokens["cashier"], order)
    assert response.status_code == 200
    tier = "SELECT tier_id FROM members WHERE id = :m"
    assert scalar(app, tier, m=member["id"]) is None  # committed with the settle: the event, not the move
    response.close()
    assert scalar(app, tier, m=member["id"]) == gold["id"]
    assert scalar(app, "SELECT COUNT(*) FROM tier_changes WHERE member_id = :m", m=member["id"]) == 1
    with app.app_context():
        assert deferred.run_pending() == 0
    assert scalar(app, "SELECT COUNT(*) FROM tier_changes WHERE member_id = :m", m=member["id"]) == 1
    wash = _wash(api, staff_tokens, stores, catalog)
    assert wash["total_fen"] == 4500  # the gold labor discount prices the next order


def test_a_replayed_settle_defers_nothing_again(app, api, staff_tokens, stores, catalog, member):
    order = _wash(api, staff_tokens, stores, catalog)
    first = _settle(app.test_client(), staff_tokens["cashier"], order, key="k-1")
    again = _settle(app.test_client(), staff_tokens["cashier"], order, key="k-1")
    assert first.status_code == again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert scalar(app, "SELECT COUNT(*) FROM deferred_events") == 1
    assert scalar(app, PENDING) == 0 and scalar(app, SOLD) == 1


def test_a_failing_event_is_kept_counted_and_run_again_later(
    app, client, api, staff_tokens, stores, catalog, member, monkeypatch
):
    def broken(**_payload):
        raise RuntimeError("the rollup is unreachable")

    handlers = list(deferred._handlers[SETTLED_ORDER_FIGURES])
    monkeypatch.setitem(deferred._handlers, SETTLED_ORDER_FIGURES, [broken])
    order = _wash(api, staff_tokens, stores, catalog)
    assert _settle(client, staff_tokens["cashier"], order).status_code == 200  # the settle stands
    assert scalar(app, PENDING) == 1
    assert scalar(app, "SELECT attempts FROM deferred_events") == 1
    assert scalar(app, "SELECT last_error FROM deferred_events") == "RuntimeError: the rollup is unreachable"
    assert scalar(app, VISITS, o=order["id"]) == 0 and scalar(app, SOLD) == 0  # nothing half-done
    monkeypatch.setitem(deferred._handlers, SETTLED_ORDER_FIGURES, handlers)
    with app.app_context():
        assert run_job("deferred_events") == {"processed": 1}
    assert scalar(app, PENDING) == 0
    assert scalar(app, VISITS, o=order["id"]) == 1 and scalar(app, SOLD) == 1


def test_a_refund_runs_its_orders_pending_figures_before_taking_them_back(
    app, client, api, staff_tokens, stores, catalog, member
):
    app.config["DEFERRED_AFTER_RESPONSE"] = True
    order = _wash(api, staff_tokens, stores, catalog)
    settled = _settle(client, staff_tokens["cashier"], order)  # not closed: its figures still wait
    assert settled.status_code == 200 and scalar(app, PENDING) == 1
    refunded = api.post(f"/work-orders/{order['id']}/refund", staff_tokens["owner"], json={"reason": "complaint"})
    assert refunded.status_code == 200, refunded.get_json()
    assert scalar(app, PENDING) == 0
    assert scalar(app, SOLD) == 0  # added by the settle's figures, taken off by the refund
    assert scalar(app, MEMBER_VISITS, m=member["id"]) == 0  # counted first, then taken back
    assert scalar(app, "SELECT COUNT(*) FROM stats_daily_sales WHERE kind = 'refund'") == 1
    assert scalar(app, "SELECT refunded_at IS NOT NULL FROM marketing_visits WHERE work_order_id = :o", o=order["id"])
    settled.close()  # the first response's processing finds nothing left
    assert scalar(app, SOLD) == 0 and scalar(app, "SELECT COUNT(*) FROM deferred_events") == 1


def test_two_workers_draining_at_once_run_each_event_once(app, api, staff_tokens, stores, catalog, member):
    app.config["DEFERRED_AFTER_RESPONSE"] = True
    orders = [_wash(api, staff_tokens, stores, catalog) for _ in range(6)]
    for order in orders:
        assert _settle(app.test_client(), staff_tokens["cashier"], order).status_code == 200  # never closed
    assert scalar(app, PENDING) == 6

    def drain():
        with app.app_context():
            return deferred.run_pending()

    processed = run_together(drain, drain, timeout=60)
    assert sum(processed) == 6
    assert scalar(app, PENDING) == 0 and scalar(app, SOLD) == 6
    assert scalar(app, "SELECT COUNT(*) FROM marketing_visits") == 6
