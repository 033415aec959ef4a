"""`flask seed-bench`: the benchmark data set is consistent the way the services keep it, and usable."""

from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select

from app.common.plates import validate_plate
from app.extensions import db

MEMBERS = 300


@pytest.fixture
def seeded(app, runner):
    result = runner.invoke(args=["seed-bench", "--members", str(MEMBERS), "--stores", "2"])
    assert result.exit_code == 0, result.output
    return result.output


def rows(sql_table, *columns):
    table = db.metadata.tables[sql_table]
    return db.session.execute(select(*(table.c[name] for name in columns))).all()


def test_seed_reports_what_it_made_and_refuses_a_second_run(app, runner, seeded):
    assert f"Seeded {MEMBERS:,} members" in seeded
    assert "bench-cashier1 / bench-password" in seeded
    with app.app_context():
        counts = {
            name: db.session.scalar(select(func.count()).select_from(db.metadata.tables[name]))
            for name in ("members", "vehicles", "work_orders", "stores")
        }
    assert counts["members"] == MEMBERS and counts["stores"] == 2
    assert 2.5 <= counts["work_orders"] / MEMBERS <= 3.8  # about three orders per member
    assert counts["vehicles"] >= MEMBERS
    with app.app_context():  # last night's member metrics are in place
        lifecycles = Counter(lifecycle for (lifecycle,) in rows("members", "lifecycle"))
        classes = Counter(value_class for (value_class,) in rows("members", "value_class"))
    assert {"active", "at_risk", "churned"} <= set(lifecycles)
    assert len(classes) >= 3

    again = runner.invoke(args=["seed-bench", "--members", "10"])
    assert again.exit_code != 0
    assert "already holds members" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(db.metadata.tables["members"])) == MEMBERS


def test_ledgers_add_up(app, seeded):
    with app.app_context():
        wallet_sums = defaultdict(lambda: [0, 0, 0])
        for member_id, amount, principal, bonus, after in rows(
            "wallet_entries", "member_id", "amount_fen", "principal_fen", "bonus_fen", "balance_after_fen"
        ):
            sums = wallet_sums[member_id]
            sums[0] += amount
            sums[1] += principal
            sums[2] += bonus
            assert after >= 0
        wallets = rows("wallets", "member_id", "balance_fen", "principal_fen", "bonus_fen")
        assert wallets and len(wallets) == len(wallet_sums)
        for member_id, balance, principal, bonus in wallets:
            assert wallet_sums[member_id] == [balance, principal, bonus]

        entry_sums = Counter()
        for member_id, points, after in rows("points_entries", "member_id", "points", "balance_after"):
            entry_sums[member_id] += points
            assert after >= 0
        live = Counter()
        for member_id, remaining, expired_at in rows("points_lots", "member_id", "remaining", "expired_at"):
            live[member_id] += remaining
            assert expired_at is None or remaining == 0
        accounts = rows("points_accounts", "member_id", "balance")
        assert accounts
        for member_id, balance in accounts:
            assert entry_sums[member_id] == balance == live[member_id]

        movement_sums = Counter()
        for store_id, part_id, delta in rows("part_stock_movements", "store_id", "part_id", "delta"):
            movement_sums[store_id, part_id] += delta
        on_hand = {
            (store_id, part_id): value
            for store_id, part_id, value in rows("store_part_stocks", "store_id", "part_id", "on_hand")
        }
        assert on_hand and on_hand == dict(movement_sums)
        assert len({store_id for store_id, _part in on_hand}) == 2  # every store holds stock

        for card_item_id, remaining in rows("package_card_items", "id", "remaining"):
            deltas = [
                delta for item, delta in rows("package_card_entries", "card_item_id", "delta") if item == card_item_id
            ]
            assert sum(deltas) == remaining


def test_orders_lines_tenders_and_member_figures_agree(app, seeded):
    with app.app_context():
        lines = defaultdict(lambda: [0, 0])
        for order_id, quantity, unit, net in rows(
            "work_order_lines", "work_order_id", "quantity", "unit_price_fen", "unit_net_fen"
        ):
            lines[order_id][0] += quantity * unit
            lines[order_id][1] += quantity * net
        tenders = defaultdict(list)
        for order_id, kind, amount, coupon_id in rows(
            "work_order_payments", "work_order_id", "type", "amount_fen", "member_coupon_id"
        ):
            tenders[order_id].append((kind, amount, coupon_id))
        coupons = {
            coupon_id: (member_id, status, used_ref)
            for coupon_id, member_id, status, used_ref in rows(
                "member_coupons", "id", "member_id", "status", "used_ref_id"
            )
        }
        visits, paid_by_member = Counter(), Counter()
        numbers = set()
        for order_id, number, member_id, status, subtotal, total, paid in rows(
            "work_orders", "id", "number", "member_id", "status", "subtotal_fen", "total_fen", "paid_fen"
        ):
            assert number not in numbers
            numbers.add(number)
            assert lines[order_id] == [subtotal, total]
            if status in ("settled", "refunded"):
                assert sum(amount for _kind, amount, _coupon in tenders[order_id]) == total
                assert paid == sum(amount for kind, amount, _coupon in tenders[order_id] if kind != "coupon")
                for kind, _amount, coupon_id in tenders[order_id]:
                    if kind == "coupon":
                        assert coupons[coupon_id] == (member_id, "used", order_id)
            else:
                assert order_id not in tenders and paid == 0
            if status == "settled" and member_id:
                visits[member_id] += 1
                paid_by_member[member_id] += paid
        assert sum(1 for _member, status, _ref in coupons.values() if status == "used") == sum(
            1 for order in tenders.values() for kind, _a, _c in order if kind == "coupon"
        )
        for member_id, count, total_paid, tier_id in rows(
            "members", "id", "paid_visit_count", "total_paid_fen", "tier_id"
        ):
            assert (count, total_paid) == (visits[member_id], paid_by_member[member_id])
            changes = [to for member, to in rows("tier_changes", "member_id", "to_tier_id") if member == member_id]
            assert tier_id == (changes[-1] if changes else None)


def test_plates_are_valid_unique_and_spread_over_provinces(app, seeded):
    with app.app_context():
        plates = [plate for (plate,) in rows("vehicles", "plate")]
    assert len(set(plates)) == len(plates)
    assert all(validate_plate(plate) == plate for plate in plates)
    provinces = Counter(plate[0] for plate in plates)
    assert len(provinces) >= 6 and provinces.most_common(1)[0][0] == "粤"


def test_the_counter_works_on_the_seeded_data(app, client, seeded):
    with app.app_context():
        member_id, plate, balance = db.session.execute(
            select(
                db.metadata.tables["vehicles"].c.member_id,
                db.metadata.tables["vehicles"].c.plate,
                db.metadata.tables["wallets"].c.balance_fen,
            )
            .join(
                db.metadata.tables["wallets"],
                db.metadata.tables["wallets"].c.member_id == db.metadata.tables["vehicles"].c.member_id,
            )
            .where(db.metadata.tables["wallets"].c.balance_fen >= 10_000)
            .limit(1)
        ).one()
        store_id = db.session.scalar(select(db.metadata.tables["stores"].c.id).order_by("id").limit(1))
        item_id = db.session.scalar(select(db.metadata.tables["service_items"].c.id).order_by("id").limit(1))
    login = client.post(
        "/api/v1/auth/staff/login", json={"username": f"bench-cashier{store_id}", "password": "bench-password"}
    )
    headers = {"Authorization": f"Bearer {login.get_json()['token']}"}
    found = client.get(f"/api/v1/vehicles?plate={plate[-4:]}", headers=headers).get_json()
    match = next(item for item in found["items"] if item["vehicle"]["plate"] == plate)
    assert match["member"]["id"] == member_id and match["member"]["balance_fen"] == balance
    order = client.post(
        "/api/v1/work-orders",
        headers=headers,
        json={"store_id": store_id, "plate": plate, "lines": [{"service_item_id": item_id, "quantity": 1}]},
    ).get_json()
    assert order["member_id"] == member_id
    settled = client.post(
        f"/api/v1/work-orders/{order['id']}/settle",
        headers={**headers, "Idempotency-Key": "s-1"},
        json={"tenders": [{"type": "stored_value", "amount_fen": order["total_fen"]}]},
    )
    assert settled.status_code == 200, settled.get_json()
    with app.app_context():
        after = db.session.scalar(
            select(db.metadata.tables["wallets"].c.balance_fen).where(
                db.metadata.tables["wallets"].c.member_id == member_id
            )
        )
        entries = db.session.scalar(
            select(func.sum(db.metadata.tables["wallet_entries"].c.amount_fen)).where(
                db.metadata.tables["wallet_entries"].c.member_id == member_id
            )
        )
    assert after == balance - order["total_fen"] == entries
