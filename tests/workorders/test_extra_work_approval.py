"""Extra work (增项): lines added once work has started, or flagged, wait for the member's approval.

Pending lines block quote, settle and the member's payment (409 approval_pending); approved lines
are charged; declined lines stay visible, priced out, and leave nothing behind at settle.
"""

from tests.conftest import error_code
from tests.workorders.conftest import open_order, scalar, sell_card, settle, table_rows, top_up


def _status(api, token, order_id, status):
    response = api.post(f"/work-orders/{order_id}/status", token, json={"status": status})
    assert response.status_code == 200, response.json
    return response.json


def _decide(api, member, order_id, *decisions):
    body = {"lines": [{"line_id": line_id, "decision": decision} for line_id, decision in decisions]}
    return api.post(f"/me/work-orders/{order_id}/approvals", member["token"], json=body)


def _by_phone(api, token, order_id, line_id, decision, note="车主电话确认"):
    body = {"decision": decision, "note": note}
    return api.post(f"/work-orders/{order_id}/lines/{line_id}/approval", token, json=body)


def _in_progress_with_extra(api, staff_tokens, stores, catalog):
    """A wash (5000) in progress, then an oil filter (8000) found during the job: the extra line."""
    cashier = staff_tokens["cashier"]
    order = open_order(api, cashier, stores[0], [{"service_item_id": catalog["wash"], "quantity": 1}])
    _status(api, cashier, order["id"], "in_progress")
    response = api.post(
        f"/work-orders/{order['id']}/lines", cashier, json={"lines": [{"part_id": catalog["filter"], "quantity": 1}]}
    )
    assert response.status_code == 200, response.json
    return response.json


def _filter_stock(app, catalog):
    return scalar(app, "SELECT SUM(on_hand) FROM store_part_stocks WHERE part_id = :p", p=catalog["filter"])


def test_lines_added_in_progress_wait_for_approval_and_block_quote_and_settle(
    app, api, staff_tokens, stores, catalog, member
):
    order = _in_progress_with_extra(api, staff_tokens, stores, catalog)
    wash, extra = order["lines"]
    assert (wash["approval"], extra["approval"]) == ("not_needed", "pending")
    assert order["pending_line_ids"] == [extra["id"]]
    # The member sees the same in the mini-program, with the time work started.
    mine = api.get(f"/me/work-orders/{order['id']}", member["token"]).json
    assert mine["status"] == "in_progress" and mine["started_at"] is not None and mine["completed_at"] is None
    assert [line["approval"] for line in mine["lines"]] == ["not_needed", "pending"]

    before = table_rows(app)
    cashier = staff_tokens["cashier"]
    refused = settle(api, cashier, order["id"], [{"type": "cash", "amount_fen": 13000}])
    assert refused.status_code == 409 and error_code(refused) == "approval_pending"
    assert refused.json["error"]["details"] == {"line_ids": [extra["id"]]}
    quote = api.post(f"/work-orders/{order['id']}/quote", cashier, json={"tenders": []})
    assert quote.status_code == 409 and error_code(quote) == "approval_pending"
    assert table_rows(app) == before


def test_approval_in_the_mini_program_lets_the_order_settle(app, api, staff_tokens, stores, catalog, member):
    order = _in_progress_with_extra(api, staff_tokens, stores, catalog)
    extra = order["lines"][1]
    response = _decide(api, member, order["id"], (extra["id"], "approved"))
    assert response.status_code == 200, response.json
    line = response.json["lines"][1]
    assert line["approval"] == "approved" and line["approval_via"] == "mini_program"
    assert line["approval_member_id"] == member["id"] and line["approval_decided_at"] is not None
    assert response.json["pending_line_ids"] == [] and response.json["total_fen"] == 13000

    settled = settle(api, staff_tokens["cashier"], order["id"], [{"type": "cash", "amount_fen": 13000}])
    assert settled.status_code == 200, settled.json
    assert settled.json["status"] == "settled" and settled.json["paid_fen"] == 13000
    assert _filter_stock(app, catalog) == 9


def test_a_declined_line_stays_visible_but_is_priced_out_and_not_settled(
    app, api, staff_tokens, stores, catalog, member
):
    order = _in_progress_with_extra(api, staff_tokens, stores, catalog)
    assert order["total_fen"] == 13000  # pending work is shown in the total the member is asked about
    extra = order["lines"][1]
    response = _decide(api, member, order["id"], (extra["id"], "declined"))
    assert response.status_code == 200, response.json
    body = response.json
    assert [line["approval"] for line in body["lines"]] == ["not_needed", "declined"]
    assert body["lines"][1]["line_total_fen"] == 8000  # what it would have cost
    assert (body["subtotal_fen"], body["total_fen"]) == (5000, 5000)

    cashier = staff_tokens["cashier"]
    quote = api.post(f"/work-orders/{order['id']}/quote", cashier, json={"tenders": []}).json
    assert quote["total_fen"] == 5000 and quote["lines"][1]["approval"] == "declined"
    too_much = settle(api, cashier, order["id"], [{"type": "cash", "amount_fen": 13000}])
    assert too_much.status_code == 422
    settled = settle(api, cashier, order["id"], [{"type": "cash", "amount_fen": 5000}])
    assert settled.status_code == 200, settled.json
    assert settled.json["total_fen"] == 5000 and len(settled.json["lines"]) == 2
    assert _filter_stock(app, catalog) == 10  # the declined filter never left the shelf
    sales = "SELECT COALESCE(SUM(amount_fen), 0) FROM stats_daily_sales WHERE kind = 'category' AND name = :name"
    assert (scalar(app, sales, name="wash"), scalar(app, sales, name="part")) == (5000, 0)


def test_an_order_whose_every_line_was_declined_has_nothing_to_settle(app, api, staff_tokens, stores, catalog, member):
    cashier = staff_tokens["cashier"]
    order = open_order(api, cashier, stores[0], [{"part_id": catalog["filter"], "quantity": 1, "needs_approval": True}])
    assert order["lines"][0]["approval"] == "pending"
    _decide(api, member, order["id"], (order["lines"][0]["id"], "declined"))
    refused = settle(api, cashier, order["id"], [])
    assert refused.status_code == 422 and error_code(refused) == "work_order_empty"


def test_lines_of_an_open_order_need_approval_only_when_flagged(api, staff_tokens, stores, catalog, member):
    order = open_order(
        api,
        staff_tokens["cashier"],
        stores[0],
        [
            {"service_item_id": catalog["wash"], "quantity": 1},
            {"service_item_id": catalog["oil_change"], "quantity": 1, "needs_approval": True},
        ],
    )
    assert [line["approval"] for line in order["lines"]] == ["not_needed", "pending"]
    added = api.post(
        f"/work-orders/{order['id']}/lines",
        staff_tokens["cashier"],
        json={"lines": [{"part_id": catalog["oil"], "quantity": 1}]},
    ).json
    assert [line["approval"] for line in added["lines"]] == ["not_needed", "pending", "not_needed"]


def test_a_pending_line_blocks_the_members_own_payment(app, api, staff_tokens, stores, catalog, member):
    order = _in_progress_with_extra(api, staff_tokens, stores, catalog)
    _status(api, staff_tokens["cashier"], order["id"], "completed")
    top_up(app, member["id"], 20000)
    paid = api.post(
        f"/me/work-orders/{order['id']}/pay",
        member["token"],
        json={"tenders": [{"type": "stored_value", "amount_fen": 13000}]},
    )
    assert paid.status_code == 409 and error_code(paid) == "approval_pending"
    _decide(api, member, order["id"], (order["lines"][1]["id"], "approved"))
    paid = api.post(
        f"/me/work-orders/{order['id']}/pay",
        member["token"],
        json={"tenders": [{"type": "stored_value", "amount_fen": 13000}]},
    )
    assert paid.status_code == 200, paid.json
    assert paid.json["work_order"]["status"] == "settled"


def test_members_decide_only_pending_lines_of_their_own_orders(
    api, staff_tokens, stores, catalog, member, member_login
):
    order = _in_progress_with_extra(api, staff_tokens, stores, catalog)
    wash, extra = order["lines"]
    bob_token, _ = member_login("bob")
    other = api.post(
        f"/me/work-orders/{order['id']}/approvals",
        bob_token,
        json={"lines": [{"line_id": extra["id"], "decision": "approved"}]},
    )
    assert other.status_code == 404 and error_code(other) == "work_order_not_found"
    unknown = _decide(api, member, order["id"], (999999, "approved"))
    assert unknown.status_code == 404 and error_code(unknown) == "work_order_line_not_found"
    not_needed = _decide(api, member, order["id"], (wash["id"], "declined"))
    assert not_needed.status_code == 409 and error_code(not_needed) == "approval_not_needed"
    twice = _decide(api, member, order["id"], (extra["id"], "approved"), (extra["id"], "declined"))
    assert twice.status_code == 422
    bad = _decide(api, member, order["id"], (extra["id"], "maybe"))
    assert bad.status_code == 422

    assert _decide(api, member, order["id"], (extra["id"], "approved")).status_code == 200
    again = _decide(api, member, order["id"], (extra["id"], "approved"))  # a retried request changes nothing
    assert again.status_code == 200 and again.json["lines"][1]["approval"] == "approved"
    changed = _decide(api, member, order["id"], (extra["id"], "declined"))
    assert changed.status_code == 409 and error_code(changed) == "approval_already_decided"


def test_a_phone_approval_records_the_staff_member_and_the_note(api, staff_tokens, stores, catalog, member):
    order = _in_progress_with_extra(api, staff_tokens, stores, catalog)
    extra = order["lines"][1]
    cashier = staff_tokens["cashier"]
    no_note = api.post(
        f"/work-orders/{order['id']}/lines/{extra['id']}/approval", cashier, json={"decision": "approved"}
    )
    assert no_note.status_code == 422
    elsewhere = _by_phone(api, staff_tokens["cashier2"], order["id"], extra["id"], "approved")
    assert elsewhere.status_code == 403 and error_code(elsewhere) == "store_forbidden"

    declined = _by_phone(api, cashier, order["id"], extra["id"], "declined", note="14:05 车主来电：暂不更换")
    assert declined.status_code == 200, declined.json
    line = declined.json["lines"][1]
    assert (line["approval"], line["approval_via"], line["approval_note"]) == (
        "declined",
        "phone",
        "14:05 车主来电：暂不更换",
    )
    assert line["approval_staff_id"] is not None and line["approval_member_id"] is None
    assert declined.json["total_fen"] == 5000
    # The member called back: staff record the changed mind, and the line is charged again.
    approved = _by_phone(api, cashier, order["id"], extra["id"], "approved", note="14:30 车主回电同意更换")
    assert approved.json["lines"][1]["approval"] == "approved" and approved.json["total_fen"] == 13000
    not_needed = _by_phone(api, cashier, order["id"], order["lines"][0]["id"], "approved")
    assert not_needed.status_code == 409 and error_code(not_needed) == "approval_not_needed"


def test_decisions_stop_once_the_order_is_settled(api, staff_tokens, stores, catalog, member):
    order = _in_progress_with_extra(api, staff_tokens, stores, catalog)
    extra = order["lines"][1]
    _decide(api, member, order["id"], (extra["id"], "approved"))
    assert settle(api, staff_tokens["cashier"], order["id"], [{"type": "cash", "amount_fen": 13000}]).status_code == 200
    late = _by_phone(api, staff_tokens["cashier"], order["id"], extra["id"], "declined")
    assert late.status_code == 409 and error_code(late) == "work_order_not_editable"


def test_a_package_card_does_not_cover_declined_work(app, api, staff_tokens, stores, catalog, member):
    card_id = sell_card(app, member["id"], {catalog["wash"]: 5})
    cashier = staff_tokens["cashier"]
    order = open_order(api, cashier, stores[0], [{"part_id": catalog["filter"], "quantity": 1}])
    _status(api, cashier, order["id"], "in_progress")
    added = api.post(
        f"/work-orders/{order['id']}/lines",
        cashier,
        json={"lines": [{"service_item_id": catalog["wash"], "quantity": 1}]},
    ).json
    _decide(api, member, order["id"], (added["lines"][1]["id"], "declined"))
    refused = settle(
        api,
        cashier,
        order["id"],
        [
            {"type": "package_card", "card_id": card_id, "service_item_id": catalog["wash"]},
            {"type": "cash", "amount_fen": 8000},
        ],
    )
    assert refused.status_code == 422 and error_code(refused) == "no_matching_line"
