"""The owner manages staff and stores through the API (the command line stays for the first owner):
accounts created, listed, changed, disabled and enabled, passwords reset, stores opened; every change
in the audit log, a disabled account refused at its very next request, and never without an owner."""

from sqlalchemy import func, select

from app.extensions import db
from app.stores.models import Staff
from app.stores.services import disable_staff, update_staff
from tests.helpers import error_code, login_staff, run_concurrently

PASSWORD = "password-123"


def _log(api, owner, **query):
    response = api.get("/audit-log", owner, query_string={"per_page": 100, **query})
    assert response.status_code == 200, response.json
    return response.json["items"]


def _create(api, owner, **body):
    body = {"password": "new-staff-pass", "role": "cashier", "store_ids": [], **body}
    response = api.post("/staff", owner, json=body)
    assert response.status_code == 201, response.json
    return response.json


def test_the_owner_creates_a_cashier_who_can_then_log_in(api, staff_tokens, stores):
    owner = staff_tokens["owner"]
    staff = _create(api, owner, username="lily", store_ids=[stores[1], stores[1]])
    assert {key: staff[key] for key in ("username", "role", "store_ids", "is_active")} == {
        "username": "lily",
        "role": "cashier",
        "store_ids": [stores[1]],
        "is_active": True,
    }
    assert "password" not in staff and "password_hash" not in staff
    token = login_staff(api, "lily", "new-staff-pass")
    me = api.get("/auth/staff/me", token)
    assert me.status_code == 200
    assert me.json == {"id": staff["id"], "username": "lily", "role": "cashier", "store_ids": [stores[1]]}

    entry = _log(api, owner, kind="staff")[0]
    assert (entry["entity_id"], entry["actor_username"], entry["before"]) == (staff["id"], "owner", None)
    assert entry["after"] == {"username": "lily", "role": "cashier", "store_ids": [stores[1]], "is_active": True}
    csv = api.get("/audit-log", owner, query_string={"format": "csv", "kind": "staff"}).data.decode("utf-8-sig")
    assert "new-staff-pass" not in csv


def test_new_accounts_are_checked_as_on_the_command_line(api, staff_tokens, stores):
    owner = staff_tokens["owner"]
    cases = [
        ({"username": "short", "password": "1234567"}, 422, "weak_password"),
        ({"username": "two words"}, 422, "invalid_username"),
        ({"username": "cashier"}, 409, "username_taken"),
        ({"username": "nowhere", "store_ids": [999]}, 404, "store_not_found"),
        ({"username": "boss2", "role": "manager"}, 422, "validation_error"),
        ({"username": "extra", "is_active": False}, 422, "validation_error"),
    ]
    for changes, status, code in cases:
        body = {"password": "new-staff-pass", "role": "cashier", **changes}
        response = api.post("/staff", owner, json=body)
        assert (response.status_code, error_code(response)) == (status, code), changes
    listed = api.get("/staff", owner, query_string={"per_page": 100}).json
    assert sorted(item["username"] for item in listed["items"]) == ["cashier", "cashier2", "marketing", "owner"]


def test_the_staff_list_filters_by_role_store_and_activity(api, staff_tokens, stores):
    owner = staff_tokens["owner"]
    gone = _create(api, owner, username="gone", store_ids=[stores[0]])
    assert api.post(f"/staff/{gone['id']}/disable", owner).status_code == 200

    def usernames(**query):
        response = api.get("/staff", owner, query_string=query)
        assert response.status_code == 200, response.json
        return [item["username"] for item in response.json["items"]]

    assert usernames(role="cashier") == ["cashier", "cashier2", "gone"]
    assert usernames(store_id=stores[0]) == ["owner", "marketing", "cashier", "gone"]
    assert usernames(store_id=stores[0], role="cashier", active="true") == ["cashier"]
    assert usernames(active="false") == ["gone"]
    assert api.get(f"/staff/{gone['id']}", owner).json["is_active"] is False
    assert error_code(api.get("/staff/999999", owner)) == "staff_not_found"


def test_a_disabled_cashier_is_refused_at_the_next_request_and_cannot_log_in(api, staff_tokens):
    owner, cashier = staff_tokens["owner"], staff_tokens["cashier"]
    cashier_id = api.get("/auth/staff/me", cashier).json["id"]
    assert api.get("/members", cashier).status_code == 200

    response = api.post(f"/staff/{cashier_id}/disable", owner)
    assert response.status_code == 200 and response.json["is_active"] is False
    response = api.get("/members", cashier)
    assert (response.status_code, error_code(response)) == (401, "token_revoked")
    response = api.post("/auth/staff/login", json={"username": "cashier", "password": PASSWORD})
    assert (response.status_code, error_code(response)) == (401, "invalid_credentials")
    assert api.post(f"/staff/{cashier_id}/disable", owner).status_code == 200  # again: nothing changes

    response = api.post(f"/staff/{cashier_id}/enable", owner)
    assert response.status_code == 200 and response.json["is_active"] is True
    assert api.get("/members", cashier).status_code == 401  # tokens from before stay revoked
    assert api.get("/members", login_staff(api, "cashier")).status_code == 200

    enabled, disabled = _log(api, owner, kind="staff")[:2]
    assert (disabled["entity_id"], disabled["before"], disabled["after"]) == (
        cashier_id,
        {"is_active": True},
        {"is_active": False},
    )
    assert (enabled["before"], enabled["after"]) == ({"is_active": False}, {"is_active": True})
    by_owner = [entry for entry in _log(api, owner, kind="staff") if entry["actor_kind"] == "staff"]
    assert len(by_owner) == 2  # the repeated disable wrote nothing


def test_a_password_reset_signs_the_account_out_everywhere(api, staff_tokens):
    owner, cashier = staff_tokens["owner"], staff_tokens["cashier"]
    cashier_id = api.get("/auth/staff/me", cashier).json["id"]
    url = f"/staff/{cashier_id}/password"
    assert error_code(api.post(url, owner, json={"password": "short"})) == "weak_password"
    assert api.get("/members", cashier).status_code == 200  # a refused reset changes nothing

    assert api.post(url, owner, json={"password": "fresh-password-9"}).status_code == 200
    assert error_code(api.get("/members", cashier)) == "token_revoked"
    response = api.post("/auth/staff/login", json={"username": "cashier", "password": PASSWORD})
    assert response.status_code == 401
    assert api.get("/members", login_staff(api, "cashier", "fresh-password-9")).status_code == 200

    entry = _log(api, owner, kind="staff")[0]
    assert (entry["entity_id"], entry["reason"]) == (cashier_id, "password reset")
    assert "fresh-password-9" not in str(entry)


def test_a_role_or_store_change_is_audited_and_applies_from_the_next_login(api, staff_tokens, stores):
    owner, cashier = staff_tokens["owner"], staff_tokens["cashier"]
    cashier_id = api.get("/auth/staff/me", cashier).json["id"]
    response = api.patch(f"/staff/{cashier_id}", owner, json={"role": "advisor", "store_ids": [stores[1]]})
    assert response.status_code == 200, response.json
    assert (response.json["role"], response.json["store_ids"]) == ("advisor", [stores[1]])
    assert error_code(api.get("/members", cashier)) == "token_revoked"
    me = api.get("/auth/staff/me", login_staff(api, "cashier")).json
    assert (me["role"], me["store_ids"]) == ("advisor", [stores[1]])
    entry = _log(api, owner, kind="staff")[0]
    assert entry["before"] == {"role": "cashier", "store_ids": [stores[0]]}
    assert entry["after"] == {"role": "advisor", "store_ids": [stores[1]]}

    # Nothing changed: no new entry, and the account's tokens keep working.
    token = login_staff(api, "cashier")
    assert api.patch(f"/staff/{cashier_id}", owner, json={"role": "advisor"}).status_code == 200
    assert api.get("/members", token).status_code == 200
    assert [entry["actor_kind"] for entry in _log(api, owner, kind="staff")].count("staff") == 1


def test_the_last_active_owner_can_neither_be_disabled_nor_demoted(api, runner, staff_tokens, stores):
    owner = staff_tokens["owner"]
    owner_id = api.get("/auth/staff/me", owner).json["id"]
    for response in (
        api.post(f"/staff/{owner_id}/disable", owner),
        api.patch(f"/staff/{owner_id}", owner, json={"role": "marketing"}),
    ):
        assert (response.status_code, error_code(response)) == (409, "last_owner")
    assert api.get("/auth/staff/me", owner).status_code == 200  # still signed in, still the owner
    result = runner.invoke(args=["staff", "disable", "--username", "owner"])
    assert result.exit_code != 0 and "only active owner" in result.output

    # With a second owner, the first may step down; the second is then the last one.
    second = _create(api, owner, username="partner", role="owner", store_ids=stores)
    assert api.patch(f"/staff/{owner_id}", owner, json={"role": "marketing"}).status_code == 200
    partner = login_staff(api, "partner", "new-staff-pass")
    assert error_code(api.post(f"/staff/{second['id']}/disable", partner)) == "last_owner"
    # A disabled owner does not count.
    assert api.patch(f"/staff/{owner_id}", partner, json={"role": "owner"}).status_code == 200
    assert api.post(f"/staff/{owner_id}/disable", partner).status_code == 200
    assert error_code(api.patch(f"/staff/{second['id']}", partner, json={"role": "cashier"})) == "last_owner"
    assert api.patch(f"/staff/{second['id']}", partner, json={"store_ids": []}).status_code == 200


def _active_owners(app):
    with app.app_context():
        return db.session.scalar(
            select(func.count()).select_from(Staff).where(Staff.role == "owner", Staff.is_active.is_(True))
        )


def test_two_owners_disabling_each_other_at_once_leave_one_owner(app, api, staff_tokens):
    owner = staff_tokens["owner"]
    owner_id = api.get("/auth/staff/me", owner).json["id"]
    partner_id = _create(api, owner, username="partner", role="owner")["id"]
    targets = [partner_id, owner_id]

    outcomes = run_concurrently(app, lambda i: disable_staff(staff_id=targets[i]), 2)

    assert sorted(outcomes) == ["last_owner", "ok"], outcomes
    assert _active_owners(app) == 1


def test_a_demotion_racing_a_disable_leaves_one_owner(app, api, staff_tokens):
    owner = staff_tokens["owner"]
    owner_id = api.get("/auth/staff/me", owner).json["id"]
    partner_id = _create(api, owner, username="partner", role="owner")["id"]
    calls = [
        lambda: disable_staff(staff_id=partner_id),
        lambda: update_staff(staff_id=owner_id, role="cashier"),
    ]

    outcomes = run_concurrently(app, lambda i: calls[i](), 2)

    assert sorted(outcomes) == ["last_owner", "ok"], outcomes
    assert _active_owners(app) == 1


def test_staff_me_answers_any_staff_role_with_their_account(api, staff_tokens, stores):
    owner = staff_tokens["owner"]
    _create(api, owner, username="wrench", role="technician", store_ids=[stores[0]])
    me = api.get("/auth/staff/me", login_staff(api, "wrench", "new-staff-pass"))
    assert me.status_code == 200 and me.json["role"] == "technician"
    me = api.get("/auth/staff/me", owner).json
    assert (me["username"], me["role"], me["store_ids"]) == ("owner", "owner", stores)


def test_the_owner_opens_a_store_with_its_hours_bays_and_labor_rate(api, staff_tokens):
    owner = staff_tokens["owner"]
    body = {
        "name": " 宝安店 ",
        "bays": 4,
        "labor_rate_fen": 12000,
        "opening_hours": {"mon": ["08:30", "19:00"], "sun": None},
        "closed_dates": ["2027-02-10", "2027-02-09"],
    }
    response = api.post("/stores", owner, json=body)
    assert response.status_code == 201, response.json
    store = response.json
    assert (store["name"], store["bays"], store["labor_rate_fen"], store["slot_minutes"]) == ("宝安店", 4, 12000, 30)
    assert store["opening_hours"] == {"mon": ["08:30", "19:00"]}
    assert store["closed_dates"] == ["2027-02-09", "2027-02-10"]
    assert store["id"] in [item["id"] for item in api.get("/stores", owner).json["items"]]

    entry = _log(api, owner, kind="store")[0]
    assert (entry["entity_id"], entry["store_id"], entry["before"]) == (store["id"], store["id"], None)
    assert entry["after"]["name"] == "宝安店" and entry["after"]["labor_rate_fen"] == 12000

    for bad, code in [
        ({"name": "x", "bays": 0}, "invalid_bays"),
        ({"name": "x", "opening_hours": {"mon": ["19:00", "08:00"]}}, "opening_not_before_closing"),
        ({"name": "x", "slot_minutes": 7}, "invalid_slot_minutes"),
        ({"bays": 2}, "validation_error"),
        ({"name": "x", "labor_rate_fen": -1}, "validation_error"),
    ]:
        response = api.post("/stores", owner, json=bad)
        assert (response.status_code, error_code(response)) == (422, code), bad
    assert len(api.get("/stores", owner).json["items"]) == 3


def test_the_command_line_opens_a_store_as_the_system(api, runner, staff_tokens):
    result = runner.invoke(args=["store", "create", "--name", "龙华店"])
    assert result.exit_code == 0, result.output
    entry = _log(api, staff_tokens["owner"], kind="store")[0]
    assert (entry["entity_id"], entry["actor_kind"], entry["after"]["name"]) == (int(result.output), "system", "龙华店")


def test_the_console_lock_minutes_are_a_setting_the_owner_changes(api, staff_tokens):
    owner, cashier = staff_tokens["owner"], staff_tokens["cashier"]
    assert api.get("/settings", cashier).json["console_lock_minutes"] == 5
    for minutes in (0, 241, "10", 2.5):
        response = api.patch("/settings", owner, json={"console_lock_minutes": minutes})
        assert (response.status_code, error_code(response)) == (422, "validation_error"), minutes
    assert api.patch("/settings", cashier, json={"console_lock_minutes": 30}).status_code == 403

    response = api.patch("/settings", owner, json={"console_lock_minutes": 30})
    assert response.status_code == 200 and response.json["console_lock_minutes"] == 30
    assert api.get("/settings", cashier).json["console_lock_minutes"] == 30
    entry = _log(api, owner, kind="settings")[0]
    assert (entry["before"], entry["after"]) == ({"console_lock_minutes": 5}, {"console_lock_minutes": 30})
