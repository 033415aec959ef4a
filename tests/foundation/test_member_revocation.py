"""Member tokens can be revoked: the token version is checked for members as for staff. Logout
(members and staff) revokes every token of the caller; the owner blocks a member, who then cannot
log in nor use an older token. Before, a member's tokens carried a version nobody checked."""

from tests.conftest import error_code


def test_a_member_logout_revokes_their_tokens(api, member_login):
    token, _ = member_login("leaving")
    other_device, _ = member_login("leaving")
    response = api.post("/auth/logout", token)
    assert response.status_code == 204
    for old in (token, other_device):
        response = api.get("/me", old)
        assert (response.status_code, error_code(response)) == (401, "token_revoked")
    fresh, _ = member_login("leaving")
    assert api.get("/me", fresh).status_code == 200


def test_a_staff_logout_revokes_their_tokens(api, staff_tokens):
    assert api.post("/auth/logout", staff_tokens["cashier"]).status_code == 204
    response = api.get("/members", staff_tokens["cashier"])
    assert (response.status_code, error_code(response)) == (401, "token_revoked")
    assert api.get("/members", staff_tokens["cashier2"]).status_code == 200  # only the caller's
    again = api.post("/auth/staff/login", json={"username": "cashier", "password": "password-123"})
    assert api.get("/members", again.json["token"]).status_code == 200


def test_logout_needs_a_token(api):
    response = api.post("/auth/logout")
    assert (response.status_code, error_code(response)) == (401, "missing_token")


def test_a_blocked_member_cannot_log_in_nor_use_an_older_token(api, member_login, staff_tokens):
    token, member = member_login("abuser")
    response = api.post(f"/members/{member['id']}/block", staff_tokens["owner"], json={"reason": "刷单"})
    assert response.status_code == 200, response.json
    assert response.json["blocked_reason"] == "刷单" and response.json["blocked_at"]
    response = api.get("/me", token)
    assert (response.status_code, error_code(response)) == (401, "token_revoked")
    response = api.post("/auth/wechat/login", json={"code": "abuser"})
    assert (response.status_code, error_code(response)) == (403, "member_blocked")

    response = api.post(f"/members/{member['id']}/unblock", staff_tokens["owner"])
    assert response.status_code == 200 and response.json["blocked_at"] is None
    assert api.get("/me", token).status_code == 401  # tokens from before the block stay revoked
    fresh, _ = member_login("abuser")
    assert api.get("/me", fresh).status_code == 200


def test_only_the_owner_blocks_and_a_reason_is_required(api, member_login, staff_tokens):
    _, member = member_login("quiet")
    url = f"/members/{member['id']}/block"
    for role in ("cashier", "marketing"):
        assert api.post(url, staff_tokens[role], json={"reason": "x"}).status_code == 403
    assert api.post(url, staff_tokens["owner"], json={}).status_code == 422
    assert api.post("/members/999999/block", staff_tokens["owner"], json={"reason": "x"}).status_code == 404
