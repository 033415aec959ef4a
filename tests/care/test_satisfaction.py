"""Satisfaction (满意度) and complaints (投诉): a member rates a settled order once, staff record the
score of a follow-up call, a low score opens a complaint with a due time, complaints move open →
in_hand → resolved with notes, and the owner's statistics show the scores by store, technician and
month exactly."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.care.models import Complaint, ComplaintEvent, Rating
from app.common import clock
from app.extensions import db
from app.marketing.models import FollowUp
from tests.helpers import error_code, login_member

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def shop(app, api, stores, staff_tokens):
    """Two technicians at store 1 and one at store 2, a service item, and a member with two cars."""
    from app.stores.services import create_staff

    clock.set_now(NOW)
    with app.app_context():
        techs = {
            name: create_staff(username=name, password="password-123", role="technician", store_ids=[stores[i]]).id
            for name, i in (("tech1", 0), ("tech2", 0), ("tech3", 1))
        }
        db.session.commit()
    owner = staff_tokens["owner"]
    item = api.post(
        "/service-items", owner, json={"name": "小保养", "category": "maintenance", "price_fen": 20000}
    ).json["id"]
    token, member = login_member(api, "care-member")
    for plate in ("粤B12345", "粤B54321"):
        assert api.post("/me/vehicles", token, json={"plate": plate}).status_code == 201
    yield {"techs": techs, "item": item, "member_token": token, "member": member}
    clock.set_now(None)


def settled_order(api, token, store_id, item, technicians, plate="粤B12345"):
    """A settled order whose one line was worked by ``technicians`` (staff ids)."""
    opened = api.post(
        "/work-orders",
        token,
        json={"store_id": store_id, "plate": plate, "lines": [{"service_item_id": item, "quantity": 1}]},
    )
    assert opened.status_code == 201, opened.json
    order = opened.json
    assigned = api.call(
        "PUT",
        f"/work-orders/{order['id']}/lines/{order['lines'][0]['id']}/technicians",
        token,
        json={"technicians": [{"staff_id": staff_id} for staff_id in technicians]},
    )
    assert assigned.status_code == 200, assigned.json
    settled = api.post(
        f"/work-orders/{order['id']}/settle",
        token,
        json={"tenders": [{"type": "cash", "amount_fen": order["total_fen"]}]},
        headers={"Idempotency-Key": f"settle-{order['id']}"},
    )
    assert settled.status_code == 200, settled.json
    return settled.json


def rate(api, token, order_id, score, comment=None):
    return api.post(f"/me/work-orders/{order_id}/rating", token, json={"score": score, "comment": comment})


def follow_up_for(app, member_id, order, store_id):
    """The 3-day follow-up call of an order (the job writes these; here it is written directly)."""
    with app.app_context():
        entry = FollowUp(
            member_id=member_id,
            kind="follow_up",
            reason="no_grant",
            dedupe_key=f"follow_up:{order['id']}",
            store_id=store_id,
            due_date=date(2026, 3, 5),
            ref_type="work_order",
            ref_id=order["id"],
            status="open",
        )
        db.session.add(entry)
        db.session.commit()
        return entry.id


def test_a_member_rates_their_settled_order_once_and_a_low_score_opens_a_complaint(
    app, api, stores, staff_tokens, shop
):
    cashier, token = staff_tokens["cashier"], shop["member_token"]
    order = settled_order(api, cashier, stores[0], shop["item"], [shop["techs"]["tech1"]])

    answer = rate(api, token, order["id"], 2, "等太久了")
    assert answer.status_code == 201, answer.json
    assert (answer.json["score"], answer.json["source"], answer.json["comment"]) == (2, "member", "等太久了")

    again = rate(api, token, order["id"], 5)
    assert (again.status_code, error_code(again)) == (409, "work_order_already_rated")
    assert again.json["error"]["details"]["source"] == "member"

    stranger, _ = login_member(api, "someone-else")
    assert error_code(rate(api, stranger, order["id"], 5)) == "work_order_not_found"
    assert rate(api, token, order["id"], 6).status_code == 422

    listed = api.get("/complaints", staff_tokens["owner"]).json
    assert listed["total"] == 1
    complaint = listed["items"][0]
    assert (complaint["status"], complaint["score"], complaint["comment"], complaint["store_id"]) == (
        "open",
        2,
        "等太久了",
        stores[0],
    )
    assert complaint["work_order"]["id"] == order["id"]
    # Due 48 hours after the rating (the default rule).
    assert complaint["due_at"] == (NOW + timedelta(hours=48)).isoformat().replace("+00:00", "Z") or complaint[
        "due_at"
    ].startswith("2026-03-04T02:00")
    assert complaint["overdue"] is False


def test_an_unsettled_order_is_not_rated_and_a_good_score_opens_no_complaint(app, api, stores, staff_tokens, shop):
    cashier, token = staff_tokens["cashier"], shop["member_token"]
    opened = api.post(
        "/work-orders",
        cashier,
        json={"store_id": stores[0], "plate": "粤B12345", "lines": [{"service_item_id": shop["item"], "quantity": 1}]},
    ).json
    refused = rate(api, token, opened["id"], 1)
    assert (refused.status_code, error_code(refused)) == (409, "work_order_not_rateable")
    order = settled_order(api, cashier, stores[0], shop["item"], [shop["techs"]["tech1"]], plate="粤B54321")
    assert rate(api, token, order["id"], 3).status_code == 201
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Complaint)) == 0
        assert db.session.scalar(select(func.count()).select_from(Rating)) == 1


def test_the_threshold_and_due_time_are_the_owners_settings(app, api, stores, staff_tokens, shop):
    owner = staff_tokens["owner"]
    assert api.get("/care/settings", owner).json == {"complaint_max_score": 2, "complaint_due_hours": 48}
    assert api.patch("/care/settings", staff_tokens["marketing"], json={"complaint_max_score": 3}).status_code == 403
    changed = api.patch("/care/settings", owner, json={"complaint_max_score": 3, "complaint_due_hours": 24})
    assert changed.json == {"complaint_max_score": 3, "complaint_due_hours": 24}
    order = settled_order(api, staff_tokens["cashier"], stores[0], shop["item"], [shop["techs"]["tech1"]])
    assert rate(api, shop["member_token"], order["id"], 3).status_code == 201
    complaint = api.get("/complaints", owner).json["items"][0]
    assert complaint["due_at"].startswith("2026-03-03T02:00")


def test_a_follow_up_call_records_the_score_and_the_first_rating_stands(app, api, stores, staff_tokens, shop):
    cashier, marketing = staff_tokens["cashier"], staff_tokens["marketing"]
    member_id = shop["member"]["id"]
    order = settled_order(api, cashier, stores[0], shop["item"], [shop["techs"]["tech1"]])
    entry = follow_up_for(app, member_id, order, stores[0])
    url = f"/follow-ups/{entry}/outcome"

    no_talk = api.post(url, marketing, json={"result": "no_answer", "score": 4})
    assert (no_talk.status_code, error_code(no_talk)) == (422, "rating_not_applicable")

    done = api.post(
        url, marketing, json={"result": "reached", "score": 1, "comment": "洗得不干净", "mileage_km": 12000}
    )
    assert done.status_code == 200, done.json
    assert (done.json["rating"]["score"], done.json["rating"]["source"]) == (1, "call")
    complaint = api.get("/complaints", marketing).json["items"][0]
    assert (complaint["source"], complaint["score"], complaint["comment"]) == ("call", 1, "洗得不干净")

    # The member opening the notice afterwards cannot overwrite what they said on the phone.
    late = rate(api, shop["member_token"], order["id"], 5)
    assert (late.status_code, error_code(late)) == (409, "work_order_already_rated")
    assert late.json["error"]["details"] == {"source": "call", "score": 1}

    # And a call about an order the member already rated is refused whole: the entry stays open.
    second = settled_order(api, cashier, stores[0], shop["item"], [shop["techs"]["tech2"]], plate="粤B54321")
    assert rate(api, shop["member_token"], second["id"], 4).status_code == 201
    entry2 = follow_up_for(app, member_id, second, stores[0])
    listed = api.get(f"/follow-ups?member_id={member_id}", marketing).json["items"]
    assert [item["rating"]["score"] for item in listed if item["id"] == entry2] == [4]
    refused = api.post(
        f"/follow-ups/{entry2}/outcome", marketing, json={"result": "reached", "score": 2, "mileage_unknown": True}
    )
    assert (refused.status_code, error_code(refused)) == (409, "work_order_already_rated")
    with app.app_context():
        assert db.session.get(FollowUp, entry2).status == "open"
        assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1


def test_complaints_move_open_in_hand_resolved_with_who_and_when(app, api, stores, staff_tokens, shop):
    owner, marketing = staff_tokens["owner"], staff_tokens["marketing"]
    order = settled_order(api, staff_tokens["cashier"], stores[0], shop["item"], [shop["techs"]["tech1"]])
    rate(api, shop["member_token"], order["id"], 1, "划伤了车漆")
    complaint_id = api.get("/complaints", owner).json["items"][0]["id"]
    url = f"/complaints/{complaint_id}"

    assert api.get(url, staff_tokens["cashier"]).status_code == 403
    no_note = api.post(f"{url}/status", owner, json={"status": "resolved"})
    assert (no_note.status_code, error_code(no_note)) == (422, "complaint_note_required")
    back = api.post(f"{url}/status", owner, json={"status": "open"})
    assert (back.status_code, error_code(back)) == (409, "complaint_transition_invalid")
    assert back.json["error"]["details"] == {"from": "open", "to": "open"}

    clock.set_now(NOW + timedelta(hours=1))
    in_hand = api.post(f"{url}/status", marketing, json={"status": "in_hand", "note": "已致电车主"})
    assert in_hand.status_code == 200, in_hand.json
    noted = api.post(f"{url}/notes", owner, json={"note": "约周六到店补漆"})
    assert noted.json["status"] == "in_hand"
    clock.set_now(NOW + timedelta(hours=50))
    assert api.get("/complaints?overdue=true", owner).json["total"] == 1
    resolved = api.post(f"{url}/status", owner, json={"status": "resolved", "note": "已免费补漆，车主满意"})
    assert resolved.status_code == 200, resolved.json
    assert resolved.json["status"] == "resolved" and resolved.json["overdue"] is False
    steps = [
        (e["from_status"], e["to_status"], e["note"], e["staff"] and e["staff"]["username"])
        for e in resolved.json["events"]
    ]
    assert steps == [
        (None, "open", "划伤了车漆", None),
        ("open", "in_hand", "已致电车主", "marketing"),
        ("in_hand", "in_hand", "约周六到店补漆", "owner"),
        ("in_hand", "resolved", "已免费补漆，车主满意", "owner"),
    ]
    assert resolved.json["events"][1]["created_at"].startswith("2026-03-02T03:00")
    final = api.post(f"{url}/status", owner, json={"status": "in_hand"})
    assert (final.status_code, error_code(final)) == (409, "complaint_transition_invalid")

    assert api.get("/complaints?overdue=true", owner).json["total"] == 0
    assert api.get("/complaints?status=resolved", owner).json["total"] == 1
    assert api.get(f"/complaints?store_id={stores[1]}", owner).json["total"] == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ComplaintEvent)) == 4


def test_statistics_show_scores_by_store_technician_and_month_exactly(app, api, stores, staff_tokens, shop):
    owner, token = staff_tokens["owner"], shop["member_token"]
    techs = shop["techs"]
    cashier, cashier2 = staff_tokens["cashier"], staff_tokens["cashier2"]
    # February: tech1 and tech2 share an order rated 4; March: tech1 alone rated 2, tech3 at store 2 rated 5.
    clock.set_now(datetime(2026, 2, 27, 2, 0, tzinfo=UTC))
    shared = settled_order(api, cashier, stores[0], shop["item"], [techs["tech1"], techs["tech2"]])
    assert rate(api, token, shared["id"], 4).status_code == 201
    clock.set_now(datetime(2026, 2, 28, 17, 0, tzinfo=UTC))  # 1 March, 01:00 in Shanghai
    alone = settled_order(api, cashier, stores[0], shop["item"], [techs["tech1"]], plate="粤B54321")
    assert rate(api, token, alone["id"], 2).status_code == 201
    clock.set_now(datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    far = settled_order(api, cashier2, stores[1], shop["item"], [techs["tech3"]])
    assert rate(api, token, far["id"], 5).status_code == 201

    answer = api.get("/stats/satisfaction", owner, query_string={"from": "2026-02-01", "to": "2026-03-31"})
    assert answer.status_code == 200, answer.json
    figures = answer.json
    assert figures["overall"] == {
        "count": 3,
        "score_total": 11,
        "average": 3.67,
        "by_score": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1},
    }
    assert [(s["store_id"], s["count"], s["score_total"], s["average"]) for s in figures["by_store"]] == [
        (stores[0], 2, 6, 3.0),
        (stores[1], 1, 5, 5.0),
    ]
    assert [(t["username"], t["count"], t["score_total"], t["average"]) for t in figures["by_technician"]] == [
        ("tech1", 2, 6, 3.0),
        ("tech2", 1, 4, 4.0),
        ("tech3", 1, 5, 5.0),
    ]
    assert [(m["month"], m["count"], m["score_total"]) for m in figures["by_month"]] == [
        ("2026-02", 1, 4),
        ("2026-03", 2, 7),
    ]
    # The March 1 complaint was due March 3: overdue on the 5th.
    assert figures["complaints"] == {"opened": 1, "resolved": 0, "overdue_now": 1}

    one_store = api.get(
        "/stats/satisfaction", owner, query_string={"from": "2026-03-01", "to": "2026-03-31", "store_id": stores[0]}
    ).json
    assert (one_store["overall"]["count"], one_store["overall"]["score_total"]) == (1, 2)
    assert [t["username"] for t in one_store["by_technician"]] == ["tech1"]
    csv = api.get(
        "/stats/satisfaction", owner, query_string={"from": "2026-02-01", "to": "2026-03-31", "format": "csv"}
    )
    assert csv.status_code == 200 and "by_technician,tech1,2,6,3.0" in csv.get_data(as_text=True)
    assert api.get("/stats/satisfaction", staff_tokens["marketing"]).status_code == 403
