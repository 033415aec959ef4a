"""Segments: rules are validated (422 on unknown fields or operators), compiled into one query,
and a preview counts exactly what a brute-force Python evaluation counts over the same data."""

from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event, select

from app.common import clock
from app.extensions import db
from app.marketing.models import Visit
from app.marketing.segments import compile_rules, preview_rules
from app.members.models import Member, MemberTag, Tag, Vehicle
from app.members.tiers.models import Tier
from tests.helpers import error_code
from tests.marketing.helpers import SHANGHAI, local

NOW = local(date(2026, 3, 10), 10)
TODAY = date(2026, 3, 10)
LIFECYCLES = ["new", "active", "at_risk", "churned"]
CLASSES = ["high", "medium", "low", "none"]


# -- the API -------------------------------------------------------------------------------------


def test_segment_rules_with_unknown_fields_operators_or_values_are_refused(api, staff_tokens):
    token = staff_tokens["marketing"]
    bad = [
        {"all": [{"field": "shoe_size", "op": "eq", "value": 42}]},
        {"all": [{"field": "visit_count", "op": "like", "value": 3}]},
        {"all": [{"field": "visit_count", "op": "gte", "value": "3"}]},
        {"all": [{"field": "visit_count", "op": "gte", "value": True}]},
        {"all": [{"field": "lifecycle", "op": "eq", "value": "asleep"}]},
        {"all": [{"field": "last_visit", "op": "before", "value": "2026-13-01"}]},
        {"all": [{"field": "tags", "op": "has_any", "value": []}]},
        {"all": [{"field": "visit_count", "op": "between", "value": [5, 1]}]},
        {"any": [{"all": [{"field": "tier", "op": "eq"}]}]},
        {"every": []},
        {"all": [], "any": []},
        {"all": [{"field": "tier", "op": "eq", "value": 1, "extra": True}]},
    ]
    for rules in bad:
        response = api.post("/segments", token, json={"name": "bad", "rules": rules})
        assert response.status_code == 422, rules
        assert error_code(response) == "invalid_segment_rules"
    deep = {"all": [{"field": "visit_count", "op": "gte", "value": 1}]}
    for _ in range(6):
        deep = {"any": [deep]}
    assert error_code(api.post("/segments", token, json={"name": "deep", "rules": deep})) == "invalid_segment_rules"
    assert api.get("/segments", token).json["total"] == 0


def test_segment_preview_counts_and_samples_members(app, api, staff_tokens, seed):
    regular = seed.member("regular", visits=5, last_visit=NOW - timedelta(days=10), total_paid_fen=50000)
    seed.member("once", visits=1, last_visit=NOW - timedelta(days=10))
    seed.member("never")
    token = staff_tokens["marketing"]
    rules = {
        "all": [
            {"field": "visit_count", "op": "gte", "value": 3},
            {"any": [{"field": "total_paid", "op": "gt", "value": 1000}, {"field": "tier", "op": "eq", "value": None}]},
        ]
    }
    created = api.post("/segments", token, json={"name": "regulars", "rules": rules})
    assert created.status_code == 201, created.json
    assert api.post("/segments", token, json={"name": "regulars", "rules": rules}).status_code == 409
    preview = api.get(f"/segments/{created.json['id']}/preview", token)
    assert preview.status_code == 200, preview.json
    assert preview.json["count"] == 1
    [member] = preview.json["sample"]
    assert member["id"] == regular and member["nickname"] == "regular"
    assert set(member) >= {"id", "nickname", "tier", "lifecycle", "last_visit_at"}
    unsaved = api.post("/segments/preview", token, json={"rules": {"all": []}})
    assert unsaved.json["count"] == 3
    assert api.get("/segments", staff_tokens["cashier"]).status_code == 403
    listed = api.get("/segments", token).json
    assert listed["total"] == 1 and listed["items"][0]["rules"] == rules


def test_a_segment_is_one_query_whatever_its_rules(app, seed):
    for index in range(5):
        seed.member(f"m{index}", visits=index, last_visit=NOW - timedelta(days=index) if index else None)
    rules = {
        "any": [
            {"field": "tags", "op": "has_all", "value": [1, 2]},
            {
                "all": [
                    {"field": "balance", "op": "gte", "value": 0},
                    {"field": "unused_coupons", "op": "lt", "value": 3},
                    {"field": "vehicle_age", "op": "between", "value": [1, 5]},
                    {"field": "store", "op": "in", "value": [1]},
                ]
            },
            {"field": "points", "op": "eq", "value": 0},
        ]
    }
    statements = []
    with app.app_context():
        engine = db.engine

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            from sqlalchemy import func, select

            db.session.scalar(select(func.count()).select_from(Member).where(compile_rules(rules, now=NOW)))
        finally:
            event.remove(engine, "before_cursor_execute", count)
    # Besides reading the merchant's timezone, the members are selected by one statement.
    selects = [s for s in statements if "FROM members" in s]
    others = [s for s in statements if "FROM members" not in s and not s.startswith("BEGIN")]
    assert len(selects) == 1 and all("merchant_settings" in s for s in others)


# -- property: preview count == brute force -------------------------------------------------------


def _age(purchase, today):
    return today.year - purchase.year - ((today.month, today.day) < (purchase.month, purchase.day))


def _match(op, actual, value):
    if op == "eq":
        return actual is not None and actual == value
    if op == "in":
        return actual is not None and actual in value
    if op == "ne":
        return not _match("eq", actual, value)
    if op == "not_in":
        return not _match("in", actual, value)
    if op == "between":
        return actual is not None and value[0] <= actual <= value[1]
    if actual is None:
        return False
    return {"gt": actual > value, "gte": actual >= value, "lt": actual < value, "lte": actual <= value}[op]


def _day_start(day):
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)


def _holds(node, m):
    if "all" in node:
        return all(_holds(child, m) for child in node["all"])
    if "any" in node:
        return any(_holds(child, m) for child in node["any"])
    field, op, value = node["field"], node["op"], node["value"]
    if field == "tier":
        if value is None and op in ("eq", "ne"):
            return (m["tier_id"] is None) == (op == "eq")
        return _match(op, m["tier_id"], value)
    if field == "tier_rank":
        return _match(op, m["tier_rank"], value)
    if field == "tags":
        wanted = set(value)
        return {
            "has_any": bool(wanted & m["tags"]),
            "has_all": wanted <= m["tags"],
            "has_none": not wanted & m["tags"],
        }[op]
    if field == "last_visit":
        last = m["last"]
        if op == "never":
            return (last is None) == value
        if op == "within_days":
            return last is not None and last >= NOW - timedelta(days=value)
        if op == "not_within_days":
            return not (last is not None and last >= NOW - timedelta(days=value))
        if last is None:
            return False
        if op == "before":
            return last < _day_start(date.fromisoformat(value))
        if op == "after":
            return last >= _day_start(date.fromisoformat(value) + timedelta(days=1))
        low, high = (date.fromisoformat(v) for v in value)
        return _day_start(low) <= last < _day_start(high + timedelta(days=1))
    if field == "vehicle_age":
        return any(_match(op, _age(purchase, TODAY), value) for purchase in m["purchases"])
    if field == "store":
        stores = m["stores"] | ({m["registered_store_id"]} if m["registered_store_id"] else set())
        wanted = {value} if op in ("eq", "ne") else set(value)
        return bool(stores & wanted) == (op in ("eq", "in"))
    return _match(op, m[field], value)


ints = st.integers(min_value=0, max_value=6)
money = st.integers(min_value=0, max_value=5).map(lambda n: n * 1000)
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 3, 20)).map(lambda d: d.isoformat())


def _numbers(field, values):
    single = st.tuples(st.sampled_from(["eq", "ne", "gt", "gte", "lt", "lte"]), values)
    between = st.tuples(st.just("between"), st.tuples(values, values).map(sorted).map(list))
    return st.one_of(single, between).map(lambda pair: {"field": field, "op": pair[0], "value": pair[1]})


def _matches(field, values):
    single = st.tuples(st.sampled_from(["eq", "ne"]), values)
    many = st.tuples(st.sampled_from(["in", "not_in"]), st.lists(values, min_size=1, max_size=3))
    return st.one_of(single, many).map(lambda pair: {"field": field, "op": pair[0], "value": pair[1]})


TAGS = st.tuples(
    st.sampled_from(["has_any", "has_all", "has_none"]), st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=3)
).map(lambda p: {"field": "tags", "op": p[0], "value": p[1]})
# Conditions on the member's own columns.
COLUMN_CONDITIONS = st.one_of(
    _matches("tier", st.sampled_from([1, 2, 3])),
    st.sampled_from([None]).flatmap(
        lambda v: st.sampled_from(["eq", "ne"]).map(lambda op: {"field": "tier", "op": op, "value": None})
    ),
    _numbers("tier_rank", st.integers(min_value=0, max_value=3)),
    _matches("lifecycle", st.sampled_from(LIFECYCLES)),
    _matches("value_class", st.sampled_from(CLASSES)),
    st.one_of(
        st.tuples(st.sampled_from(["before", "after"]), days),
        st.tuples(st.just("between"), st.tuples(days, days).map(sorted).map(list)),
        st.tuples(st.sampled_from(["within_days", "not_within_days"]), st.integers(min_value=0, max_value=800)),
        st.tuples(st.just("never"), st.booleans()),
    ).map(lambda p: {"field": "last_visit", "op": p[0], "value": p[1]}),
    _numbers("visit_count", ints),
    _numbers("total_paid", money),
    _numbers("average_ticket", money),
    _matches("birthday_month", st.integers(min_value=1, max_value=12)),
)
# Conditions on rows in other tables (the member's tags, cars, wallet, points, coupons, visits).
OTHER_TABLE_CONDITIONS = st.one_of(
    TAGS,
    st.one_of(
        st.tuples(st.sampled_from(["eq", "gt", "gte", "lt", "lte"]), ints),
        st.tuples(st.just("between"), st.tuples(ints, ints).map(sorted).map(list)),
    ).map(lambda p: {"field": "vehicle_age", "op": p[0], "value": p[1]}),
    _numbers("balance", money),
    _numbers("points", ints),
    _numbers("unused_coupons", st.integers(min_value=0, max_value=3)),
    _matches("store", st.sampled_from([1, 2])),
)
CONDITIONS = st.one_of(COLUMN_CONDITIONS, OTHER_TABLE_CONDITIONS)
RULES = st.recursive(
    CONDITIONS,
    lambda children: st.tuples(st.sampled_from(["all", "any"]), st.lists(children, max_size=3)).map(
        lambda p: {p[0]: p[1]}
    ),
    max_leaves=6,
).map(lambda node: node if ("all" in node or "any" in node) else {"all": [node]})

# Member columns, other tables, an OR mixing both and anything else, side by side: the shape
# whose joinable conditions select candidates before the rest is checked.
MIXED_RULES = st.tuples(
    COLUMN_CONDITIONS,
    OTHER_TABLE_CONDITIONS,
    st.tuples(OTHER_TABLE_CONDITIONS, COLUMN_CONDITIONS).map(lambda p: {"any": list(p)}),
    RULES,
).map(lambda p: {"all": list(p)})

MEMBER = st.fixed_dictionaries(
    {
        "tier_id": st.sampled_from([None, 1, 2, 3]),
        "tags": st.sets(st.sampled_from([1, 2, 3]), max_size=3),
        "lifecycle": st.sampled_from(LIFECYCLES),
        "value_class": st.sampled_from(CLASSES),
        "last": st.one_of(
            st.none(), st.integers(min_value=0, max_value=900 * 24).map(lambda hours: NOW - timedelta(hours=hours))
        ),
        "visit_count": ints,
        "total_paid": money,
        "average_ticket": money,
        "birthday_month": st.one_of(st.none(), st.integers(min_value=1, max_value=12)),
        "purchases": st.lists(st.dates(min_value=date(2018, 1, 1), max_value=TODAY), max_size=2),
        "balance": st.one_of(st.none(), money),
        "points": st.one_of(st.none(), ints),
        "coupons": st.lists(st.tuples(st.sampled_from(["unused", "used"]), st.booleans()), max_size=3),
        "stores": st.sets(st.sampled_from([1, 2]), max_size=2),
        "registered_store_id": st.sampled_from([None, 1, 2]),
    }
)


def _insert_population(population, stores):
    from app.coupons.models import CouponTemplate, MemberCoupon
    from app.wallet.models import PointsAccount, Wallet

    for rank in (1, 2, 3):
        db.session.add(Tier(id=rank, name=f"t{rank}", rank=rank - 1, labor_discount_percent=0))
        db.session.add(Tag(id=rank, name=f"tag{rank}"))
    template = CouponTemplate(name="券", kind="cash_off", value_fen=100, valid_days=30)
    db.session.add(template)
    db.session.flush()
    for index, m in enumerate(population):
        m["tier_rank"] = m["tier_id"] - 1 if m["tier_id"] else None
        m["store_map"] = {store: stores[store - 1] for store in (1, 2)}
        member = Member(
            nickname=f"p{index}",
            referral_code=f"P{index:07d}",
            tier_id=m["tier_id"],
            lifecycle=m["lifecycle"],
            value_class=m["value_class"],
            last_paid_visit_at=m["last"],
            paid_visit_count=m["visit_count"],
            total_paid_fen=m["total_paid"],
            average_ticket_fen=m["average_ticket"],
            birthday_month=m["birthday_month"],
            birthday_day=1 if m["birthday_month"] else None,
            registered_store_id=stores[m["registered_store_id"] - 1] if m["registered_store_id"] else None,
        )
        db.session.add(member)
        db.session.flush()
        m["id"] = member.id
        for tag_id in m["tags"]:
            db.session.add(MemberTag(member_id=member.id, tag_id=tag_id))
        for number, purchase in enumerate(m["purchases"]):
            db.session.add(Vehicle(member_id=member.id, plate=f"粤B{index:03d}{number}Q", purchase_date=purchase))
        if m["balance"] is not None:
            db.session.add(
                Wallet(member_id=member.id, balance_fen=m["balance"], principal_fen=m["balance"], bonus_fen=0)
            )
        if m["points"] is not None:
            db.session.add(PointsAccount(member_id=member.id, balance=m["points"]))
        for seq, (status, still_valid) in enumerate(m["coupons"], start=1):
            db.session.add(
                MemberCoupon(
                    code=f"C{index:04d}{seq}",
                    template_id=template.id,
                    member_id=member.id,
                    seq=seq,
                    status=status,
                    source="grant",
                    valid_from=NOW - timedelta(days=10),
                    valid_until=NOW + timedelta(days=5) if still_valid else NOW - timedelta(days=1),
                )
            )
        for number, store in enumerate(sorted(m["stores"])):
            db.session.add(
                Visit(
                    work_order_id=index * 10 + number + 1,
                    member_id=member.id,
                    store_id=stores[store - 1],
                    paid_fen=100,
                    settled_at=NOW - timedelta(days=3),
                    settled_on=TODAY,
                )
            )
        m["balance"] = m["balance"] or 0
        m["points"] = m["points"] or 0
        m["unused_coupons"] = sum(1 for status, valid in m["coupons"] if status == "unused" and valid)
    db.session.flush()


def _stored_rules(rules, stores):
    """Rules as the API takes them: store numbers 1/2 become the real store ids."""
    if "all" in rules or "any" in rules:
        kind = "all" if "all" in rules else "any"
        return {kind: [_stored_rules(child, stores) for child in rules[kind]]}
    if rules["field"] != "store":
        return rules
    value = rules["value"]
    mapped = stores[value - 1] if isinstance(value, int) else [stores[v - 1] for v in value]
    return {**rules, "value": mapped}


def _check_against_brute_force(population, rules, stores):
    """Each rule's preview counts, and both forms of its condition select, exactly the members a
    Python evaluation of the rule picks."""
    for rule in rules:
        expected = sorted(m["id"] for m in population if _holds(rule, m))
        stored = _stored_rules(rule, stores)
        preview = preview_rules(stored, now=NOW)
        assert preview["count"] == len(expected), rule
        assert [member["id"] for member in preview["sample"]] == sorted(expected, reverse=True)[:10], rule
        for candidates_first in (True, False):
            condition = compile_rules(stored, now=NOW, candidates_first=candidates_first)
            assert sorted(db.session.scalars(select(Member.id).where(condition))) == expected, rule


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(population=st.lists(MEMBER, min_size=0, max_size=8), rules=st.lists(RULES, min_size=1, max_size=4))
def test_preview_count_equals_a_brute_force_count(app, stores, population, rules):
    _compare_with_brute_force(app, stores, population, rules)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(population=st.lists(MEMBER, min_size=1, max_size=8), rules=st.lists(MIXED_RULES, min_size=1, max_size=3))
def test_candidates_first_selects_what_a_brute_force_selects(app, stores, population, rules):
    _compare_with_brute_force(app, stores, population, rules)


def _compare_with_brute_force(app, stores, population, rules):
    """Members inserted, every rule checked against a count in Python, and nothing left behind."""
    clock.set_now(NOW)
    try:
        with app.app_context():
            _insert_population(population, stores)
            _check_against_brute_force(population, rules, stores)
            db.session.rollback()
    finally:
        clock.set_now(None)


def _parenthesised(sql, start):
    """The text of the parenthesised expression opening at ``start``."""
    depth = 0
    for index in range(start, len(sql)):
        depth += {"(": 1, ")": -1}.get(sql[index], 0)
        if depth == 0:
            return sql[start : index + 1]
    raise AssertionError("unbalanced parentheses")


def test_mixed_rules_select_candidates_by_columns_and_joins_first(app):
    """The seven-condition benchmark segment: the tier, last visit, wallet, car and coupon
    conditions select candidates; the ORs reading tags and visits run on those only. A tier rank
    is named by the tiers' ids, so the planner knows how many members hold them."""
    from sqlalchemy.dialects import postgresql

    rules = {
        "all": [
            {"field": "tier_rank", "op": "gte", "value": 1},
            {
                "any": [
                    {"field": "tags", "op": "has_any", "value": [1, 3]},
                    {"field": "value_class", "op": "eq", "value": "high"},
                ]
            },
            {"field": "last_visit", "op": "within_days", "value": 365},
            {"field": "balance", "op": "gte", "value": 10000},
            {"field": "vehicle_age", "op": "between", "value": [1, 6]},
            {"field": "unused_coupons", "op": "gte", "value": 1},
            {"field": "store", "op": "in", "value": [1]},
        ]
    }
    with app.app_context():
        for rank in (0, 1, 2):
            db.session.add(Tier(name=f"rank {rank}", rank=rank, labor_discount_percent=0))
        db.session.flush()
        tier_ids = sorted(db.session.scalars(select(Tier.id).where(Tier.rank >= 1)))

        def sql(**options):
            return str(
                compile_rules(rules, now=NOW, **options).compile(
                    dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
                )
            )

        text = sql()
        candidates = _parenthesised(text, text.index("(SELECT candidate.id"))
        rest = text.replace(candidates, "")
        assert f"candidate.tier_id IN ({', '.join(map(str, tier_ids))})" in candidates
        for table in ("wallets", "vehicles", "member_coupons"):
            assert f"FROM {table}" in candidates and f"FROM {table}" not in rest
        for table in ("member_tags", "marketing_visits"):
            assert f"FROM {table}" in rest and f"FROM {table}" not in candidates
        # Within the ORs the member's own column is tested before another table is read.
        assert rest.index("members.value_class") < rest.index("FROM member_tags")
        assert rest.index("members.registered_store_id") < rest.index("FROM marketing_visits")
        assert "candidate" not in sql(candidates_first=False)
        db.session.rollback()


def test_negated_conditions_include_members_without_a_value(app, seed, stores):
    nowhere = seed.member("nowhere")  # no registered store, no visits, no tier, no birthday
    local_member = seed.member("local", store_id=stores[0])
    with app.app_context():

        def ids(condition):
            from sqlalchemy import select

            rules = {"all": [condition]}
            return sorted(db.session.scalars(select(Member.id).where(compile_rules(rules, now=NOW))).all())

        assert ids({"field": "store", "op": "ne", "value": stores[0]}) == [nowhere]
        assert ids({"field": "store", "op": "not_in", "value": [stores[1]]}) == sorted([nowhere, local_member])
        assert ids({"field": "birthday_month", "op": "ne", "value": 3}) == sorted([nowhere, local_member])
        assert ids({"field": "tier_rank", "op": "ne", "value": 0}) == sorted([nowhere, local_member])
