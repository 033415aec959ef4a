"""A read-only view checks its caller inside its own read (app/common/auth.py): once this process has
loaded a staff account for a token version, the counter's lookup sends one statement, which also
says whether that version is still current and the account active. A token stops at its very next
request all the same, whatever the view then does: finds cars, finds none, or refuses the input."""

import pytest
from sqlalchemy import event, update
from sqlalchemy.engine import Engine

from app.extensions import db
from app.stores.models import Staff
from tests.helpers import error_code, login_staff


@pytest.fixture
def statements():
    """The queries any engine sends while the test runs (not SQLite's BEGIN IMMEDIATE and the like)."""
    seen = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(Engine, "before_cursor_execute", listener)
    yield seen
    event.remove(Engine, "before_cursor_execute", listener)


@pytest.fixture
def cashier(api, staff_tokens):
    owner, token = staff_tokens["owner"], staff_tokens["cashier"]
    created = api.post("/members", token, json={"phone": "13812345678", "nickname": "张伟", "plate": "粤B12345"})
    assert created.status_code == 201
    return {"token": token, "id": api.get("/auth/staff/me", token).json["id"], "owner": owner}


def _lookup(api, token, fragment="345"):
    return api.get("/vehicles", token, query_string={"plate": fragment})


def _refused(response, status=401, code="token_revoked"):
    return (response.status_code, error_code(response)) == (status, code)


def test_a_known_caller_is_checked_in_the_lookup_itself(api, cashier, statements):
    assert [item["vehicle"]["plate"] for item in _lookup(api, cashier["token"]).json["items"]] == ["粤B12345"]
    statements.clear()
    for _ in range(3):
        response = _lookup(api, cashier["token"])
        assert [item["vehicle"]["plate"] for item in response.json["items"]] == ["粤B12345"]
        assert response.json["total"] == 1
        assert set(response.json["items"][0]) == {"vehicle", "member"}
    # One statement a lookup: the cars, with whether the caller's token is still good.
    assert len(statements) == 3
    assert all("staff" in statement and "plate_trigrams" in statement for statement in statements)


def test_a_lookup_that_finds_nothing_checks_the_caller_on_its_own(api, cashier, statements):
    assert _lookup(api, cashier["token"]).status_code == 200
    statements.clear()
    response = _lookup(api, cashier["token"], "999")
    assert response.status_code == 200 and response.json["items"] == [] and response.json["total"] == 0
    assert len(statements) == 2  # the lookup (no row to carry the answer), then the account


def test_a_disabled_account_is_refused_at_its_next_lookup(api, cashier):
    assert _lookup(api, cashier["token"]).status_code == 200
    assert api.post(f"/staff/{cashier['id']}/disable", cashier["owner"]).status_code == 200
    assert _refused(_lookup(api, cashier["token"]))
    assert _refused(_lookup(api, cashier["token"], "999"))
    # Its refusal comes before anything the view would say of the input.
    assert _refused(_lookup(api, cashier["token"], "3"))
    assert _refused(api.post("/members/search", cashier["token"], json={"q": "5678"}))


@pytest.mark.parametrize(
    "change",
    [
        {"is_active": False},  # as another process's disable would leave the row
        {"token_version": Staff.token_version + 1},  # signed out everywhere
    ],
    ids=["disabled", "version moved on"],
)
def test_a_change_made_elsewhere_is_seen_by_the_lookups_own_check(app, api, cashier, change):
    assert _lookup(api, cashier["token"]).status_code == 200
    with app.app_context():
        db.session.execute(update(Staff).where(Staff.id == cashier["id"]).values(**change))
        db.session.commit()
    assert _refused(_lookup(api, cashier["token"]))


def test_a_role_change_ends_the_token_and_the_new_role_is_held_to_its_rights(api, cashier):
    assert _lookup(api, cashier["token"]).status_code == 200
    response = api.patch(f"/staff/{cashier['id']}", cashier["owner"], json={"role": "technician"})
    assert response.status_code == 200
    assert _refused(_lookup(api, cashier["token"]))
    technician = login_staff(api, "cashier")
    for _ in range(2):  # the account is known now, and its role still cannot look up cars
        assert _refused(_lookup(api, technician), 403, "forbidden")


def test_a_password_reset_stops_the_next_lookup(api, cashier):
    assert _lookup(api, cashier["token"]).status_code == 200
    url = f"/staff/{cashier['id']}/password"
    assert api.post(url, cashier["owner"], json={"password": "fresh-password-9"}).status_code == 200
    assert _refused(_lookup(api, cashier["token"]))
    assert _refused(_lookup(api, cashier["token"], "12"))


def test_bad_input_from_a_good_caller_is_still_the_inputs_error(api, cashier):
    assert _lookup(api, cashier["token"]).status_code == 200
    response = _lookup(api, cashier["token"], "12")
    assert (response.status_code, error_code(response)) == (422, "plate_fragment_too_short")
