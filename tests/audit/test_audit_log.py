"""The audit log: what record_change keeps, that rows cannot change, and the owner's listing and CSV."""

import csv
import io
from datetime import UTC, datetime

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from app.audit.models import AuditEntry
from app.audit.services import record_change
from app.common.auth import Actor
from app.extensions import db
from tests.conftest import error_code

OWNER = Actor(kind="staff", id=1, role="owner", username="owner")
MARKETING = Actor(kind="staff", id=2, role="marketing", username="marketing")


def _record(app, **kwargs):
    with app.app_context():
        entry = record_change(**kwargs)
        db.session.commit()
        return None if entry is None else entry.id


def test_record_change_keeps_only_the_fields_that_changed_and_copies_the_actor(app):
    entry_id = _record(
        app,
        actor=OWNER,
        kind="topup_plan",
        entity_type="topup_plan",
        entity_id=7,
        before={"name": "500送50", "bonus_fen": 5000, "is_active": True},
        after={"name": "500送50", "bonus_fen": 8000, "is_active": True},
        reason="  春节  ",
        store_id=None,
    )
    with app.app_context():
        entry = db.session.get(AuditEntry, entry_id)
        assert (entry.before, entry.after) == ({"bonus_fen": 5000}, {"bonus_fen": 8000})
        assert (entry.actor_kind, entry.actor_id, entry.actor_username, entry.actor_role) == (
            "staff",
            1,
            "owner",
            "owner",
        )
        assert (entry.kind, entry.entity_type, entry.entity_id, entry.reason) == ("topup_plan", "topup_plan", 7, "春节")


def test_a_change_that_changes_nothing_writes_no_row(app):
    assert (
        _record(app, actor=OWNER, kind="tier", entity_type="tier", entity_id=1, before={"a": 1}, after={"a": 1}) is None
    )
    with app.app_context():
        assert db.session.query(AuditEntry).count() == 0


def test_a_creation_keeps_every_field_and_the_command_line_is_the_system(app):
    entry_id = _record(
        app,
        actor=None,
        kind="staff",
        entity_type="staff",
        entity_id=3,
        before=None,
        after={"username": "小王", "role": "cashier", "store_ids": (1, 2)},
    )
    with app.app_context():
        entry = db.session.get(AuditEntry, entry_id)
        assert entry.before is None
        assert entry.after == {"username": "小王", "role": "cashier", "store_ids": [1, 2]}
        assert (entry.actor_kind, entry.actor_id, entry.actor_role) == ("system", None, None)


def test_an_unknown_kind_is_a_programming_error(app):
    with app.app_context(), pytest.raises(ValueError):
        record_change(actor=OWNER, kind="misc", entity_type="x", entity_id=1, before=None, after={"a": 1})


def test_the_database_refuses_to_change_or_delete_a_row(app):
    entry_id = _record(
        app, actor=OWNER, kind="settings", entity_type="settings", entity_id=1, before={"a": 1}, after={"a": 2}
    )
    with app.app_context():
        for statement in (
            update(AuditEntry).where(AuditEntry.id == entry_id).values(reason="edited"),
            delete(AuditEntry).where(AuditEntry.id == entry_id),
        ):
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(statement)
            db.session.rollback()
        assert db.session.scalar(text("SELECT reason FROM audit_log")) is None
        assert db.session.query(AuditEntry).count() == 1


def test_the_api_offers_no_way_to_change_an_entry(app, api, staff_tokens):
    entry_id = _record(
        app, actor=OWNER, kind="settings", entity_type="settings", entity_id=1, before={"a": 1}, after={"a": 2}
    )
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        assert api.call(method, "/audit-log", staff_tokens["owner"], json={}).status_code == 405
        assert api.call(method, f"/audit-log/{entry_id}", staff_tokens["owner"], json={}).status_code == 404
    rules = [rule for rule in app.url_map.iter_rules() if "audit" in rule.rule]
    assert [(rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"})) for rule in rules] == [
        ("/api/v1/audit-log", ["GET"])
    ]


def _at(app, instant, **kwargs):
    defaults = {"entity_type": "tier", "entity_id": 1, "before": {"v": 1}, "after": {"v": 2}}
    return _record(app, now=instant, **{**defaults, **kwargs})


def test_the_owner_filters_by_kind_actor_and_merchant_local_days(app, api, staff_tokens):
    # 2026-03-01 23:30 in Shanghai is 15:30 UTC; 2026-03-02 00:30 there is 16:30 UTC on the 1st.
    first = _at(app, datetime(2026, 3, 1, 15, 30, tzinfo=UTC), actor=OWNER, kind="tier")
    second = _at(app, datetime(2026, 3, 1, 16, 30, tzinfo=UTC), actor=MARKETING, kind="tier")
    third = _at(app, datetime(2026, 3, 2, 16, 30, tzinfo=UTC), actor=OWNER, kind="settings")
    owner = staff_tokens["owner"]

    def ids(query):
        response = api.get(f"/audit-log?{query}", owner)
        assert response.status_code == 200, response.json
        return [item["id"] for item in response.json["items"]]

    assert ids("to=2026-03-03") == [third, second, first]
    assert ids("kind=tier") == [second, first]
    assert ids("actor=2") == [second]
    assert ids("from=2026-03-01&to=2026-03-01") == [first]
    assert ids("from=2026-03-02&to=2026-03-03") == [third, second]
    assert ids("to=2026-03-02&kind=settings") == []
    page = api.get("/audit-log?kind=tier&per_page=1&page=2", owner).json
    assert (page["total"], page["page"], [item["id"] for item in page["items"]]) == (2, 2, [first])
    item = api.get("/audit-log?kind=tier&per_page=1", owner).json["items"][0]
    assert item["actor_username"] == "marketing" and item["before"] == {"v": 1} and item["after"] == {"v": 2}


def test_from_after_to_and_unknown_kinds_are_refused(api, staff_tokens):
    owner = staff_tokens["owner"]
    response = api.get("/audit-log?from=2026-03-02&to=2026-03-01", owner)
    assert (response.status_code, error_code(response)) == (422, "invalid_period")
    assert api.get("/audit-log?kind=misc", owner).status_code == 422
    for query in ("to=9999-12-31", "from=0001-01-01", "actor=99999999999", "actor=0", "page=0"):
        assert api.get(f"/audit-log?{query}", owner).status_code == 422, query


def test_the_csv_has_a_bom_and_every_entry_with_before_and_after_as_json(app, api, staff_tokens):
    _at(
        app,
        datetime(2026, 3, 1, 4, tzinfo=UTC),
        actor=OWNER,
        kind="tier",
        before={"name": "金卡"},
        after={"name": "=钻石"},
    )
    response = api.get("/audit-log?kind=tier&format=csv", staff_tokens["owner"])
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["actor_username"] == "owner" and rows[0]["kind"] == "tier"
    assert rows[0]["before"] == '{"name": "金卡"}' and rows[0]["after"] == '{"name": "=钻石"}'
