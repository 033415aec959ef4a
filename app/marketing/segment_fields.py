"""The fields a segment's conditions name, each with its operators and the SQL condition it builds
on the members table (or an alias of it: the ``scope``), and the checks of the values the
conditions give. app/marketing/segments.py compiles whole rule trees from these; its docstring
states each field's rule (a missing value, 0 for members without a row elsewhere, ...).

Reading other domains' tables (tags, cars, wallets, points, coupons, visits) in these conditions is
the accepted exception described there: a segment must be one SQL query."""

import re
from datetime import date, timedelta

from sqlalchemy import and_, exists, false, func, not_, or_, select

from app.common import clock
from app.common.schemas import MAX_YEAR, MIN_YEAR
from app.marketing.models import Visit
from app.members.metrics import LIFECYCLES, VALUE_CLASSES
from app.members.models import MemberTag, Vehicle
from app.members.profile import ACQUISITION_CHANNELS, CAR_USES, GENDERS, OCCUPATIONS, REGION_MAX
from app.members.tiers.models import Tier
from app.merchant.services import get_settings

MAX_LIST = 100
MATCH_OPS = ("eq", "ne", "in", "not_in")
NUMBER_OPS = ("eq", "ne", "gt", "gte", "lt", "lte", "between")
AGE_OPS = ("eq", "gt", "gte", "lt", "lte", "between")
TAG_OPS = ("has_any", "has_all", "has_none")
LAST_VISIT_OPS = ("before", "after", "between", "within_days", "not_within_days", "never")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class RuleError(Exception):
    """A condition that cannot be compiled: where (``path``) and why (``message``)."""

    def __init__(self, path, message):
        super().__init__(message)
        self.path, self.message = path, message


# -- value checks --------------------------------------------------------------------------------


def _int(value, path, minimum=0, maximum=10**12):
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise RuleError(path, f"expected an integer from {minimum} to {maximum}")
    return value


def _list(value, path, item):
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_LIST:
        raise RuleError(path, f"expected a list of 1 to {MAX_LIST} values")
    return [item(entry, f"{path}[{index}]") for index, entry in enumerate(value)]


def _date(value, path):
    if not isinstance(value, str) or not _DATE.match(value):
        raise RuleError(path, "expected a date YYYY-MM-DD")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise RuleError(path, "expected a date YYYY-MM-DD") from None
    # The day's end is the next midnight: 9999-12-31 has none.
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise RuleError(path, f"expected a date in the years {MIN_YEAR} to {MAX_YEAR}")
    return day


def _choice(choices):
    def check(value, path):
        if value not in choices:
            raise RuleError(path, f"expected one of {', '.join(choices)}")
        return value

    return check


def _pair(item):
    def check(value, path):
        if not isinstance(value, list) or len(value) != 2:
            raise RuleError(path, "expected [low, high]")
        low, high = item(value[0], f"{path}[0]"), item(value[1], f"{path}[1]")
        if low > high:
            raise RuleError(path, "low is above high")
        return low, high

    return check


# -- condition builders --------------------------------------------------------------------------


def _match(column, op, value, item):
    """eq/ne/in/not_in on a column; ne and not_in are the negation of eq and in (NULLs included)."""
    if op in ("eq", "ne"):
        positive = column == item(value, "value")
    else:
        positive = column.in_(_list(value, "value", item))
    return positive if op in ("eq", "in") else or_(not_(positive), column.is_(None))


def _parse_number(op, value, item=_int):
    return _pair(item)(value, "value") if op == "between" else item(value, "value")


def _compare(column, op, parsed):
    if op == "between":
        return column.between(*parsed)
    if op == "ne":
        return or_(column != parsed, column.is_(None))
    return {
        "eq": column == parsed,
        "gt": column > parsed,
        "gte": column >= parsed,
        "lt": column < parsed,
        "lte": column <= parsed,
    }[op]


def _number(column, op, value, item=_int):
    return _compare(column, op, _parse_number(op, value, item))


def _zero_matches(op, parsed):
    if op == "between":
        return parsed[0] <= 0 <= parsed[1]
    return {
        "eq": 0 == parsed,
        "ne": 0 != parsed,
        "gt": 0 > parsed,
        "gte": 0 >= parsed,
        "lt": 0 < parsed,
        "lte": 0 <= parsed,
    }[op]


def _has_row(scope, member_id, *conditions):
    """The member has a row (``member_id`` is that table's member column) meeting ``conditions``:
    an EXISTS correlated on the member id."""
    return exists().where(member_id == scope.member.id, *conditions).correlate(scope.member)


def _count_rows(scope, member_id, *conditions):
    """How many rows of the member (correlated on the member id) meet ``conditions``; 0 without."""
    counted = select(func.count()).where(member_id == scope.member.id, *conditions)
    return counted.correlate(scope.member).scalar_subquery()


def _per_member(scope, member_id, figure, op, value):
    """Members whose ``figure`` (one row per member in its table, 0 for members without a row)
    satisfies the comparison: when 0 satisfies it, all but those whose row does not."""
    parsed = _parse_number(op, value)
    if _zero_matches(op, parsed):
        return not_(_has_row(scope, member_id, not_(_compare(figure, op, parsed))))
    return _has_row(scope, member_id, _compare(figure, op, parsed))


def _tier(op, value, scope):
    """A tier id; ``null`` with eq/ne selects members without (or with any) tier."""
    tier_id = scope.member.tier_id
    if op in ("eq", "ne") and value is None:
        return tier_id.is_(None) if op == "eq" else tier_id.is_not(None)
    return _match(tier_id, op, value, _int)


def _tier_rank(op, value, scope):
    """The tiers of those ranks, named by id: the planner then knows from the tier column's
    statistics how many members hold them (a subquery on tiers it would guess at as most members)."""
    tier_id = scope.member.tier_id
    inside = tier_id.in_(scope.tier_ids(_number(Tier.rank, "eq" if op == "ne" else op, value)))
    return or_(not_(inside), tier_id.is_(None)) if op == "ne" else inside


def _tags(op, value, scope):
    tag_ids = sorted(set(_list(value, "value", _int)))
    tagged = _has_row(scope, MemberTag.member_id, MemberTag.tag_id.in_(tag_ids))
    if op == "has_all":
        # Tagged with one of them (a semi-join the planner may start from), then with all of them
        # counted through that member's tags alone ((member, tag) is the key: no duplicates).
        held = _count_rows(scope, MemberTag.member_id, MemberTag.tag_id.in_(tag_ids))
        return and_(tagged, held == len(tag_ids))
    return tagged if op == "has_any" else not_(tagged)


def _choices_field(name, choices):
    def build(op, value, scope):
        return _match(getattr(scope.member, name), op, value, _choice(choices))

    return build


def _number_field(name):
    def build(op, value, scope):
        return _number(getattr(scope.member, name), op, value)

    return build


def _last_visit(op, value, scope):
    column, now = scope.member.last_paid_visit_at, scope.now
    tz_name = get_settings().timezone
    if op == "never":
        if not isinstance(value, bool):
            raise RuleError("value", "expected true or false")
        return column.is_(None) if value else column.is_not(None)
    if op in ("within_days", "not_within_days"):
        since = now - timedelta(days=_int(value, "value", 0, 100000))
        within = column >= since
        return within if op == "within_days" else or_(not_(within), column.is_(None))
    if op == "between":
        low, high = _pair(_date)(value, "value")
        return and_(
            column >= clock.local_day_bounds(low, tz_name)[0], column < clock.local_day_bounds(high, tz_name)[1]
        )
    day = _date(value, "value")
    start, end = clock.local_day_bounds(day, tz_name)
    return column < start if op == "before" else column >= end


def years_before(day, years):
    """The same calendar day ``years`` earlier (Feb 29 -> Feb 28)."""
    return clock.add_months(day, -12 * years)


def _vehicle_age(op, value, scope):
    """Completed years since purchase of any of the member's cars: age >= n <=> bought on or before
    the same day n years ago."""
    today = clock.local_today(get_settings().timezone, scope.now)
    purchase = Vehicle.purchase_date

    def at_least(years):
        return purchase <= years_before(today, years)

    def at_most(years):
        return purchase > years_before(today, years + 1)

    if op == "between":
        low, high = _pair(lambda v, p: _int(v, p, 0, 200))(value, "value")
        condition = and_(at_least(low), at_most(high))
    else:
        years = _int(value, "value", 0, 200)
        condition = {
            "eq": and_(at_least(years), at_most(years)),
            "gte": at_least(years),
            "gt": at_least(years + 1),
            "lte": at_most(years),
            "lt": at_most(years - 1) if years > 0 else false(),
        }[op]
    return _has_row(scope, Vehicle.member_id, purchase.is_not(None), condition)


def _balance(op, value, scope):
    from app.wallet.models import Wallet

    return _per_member(scope, Wallet.member_id, Wallet.balance_fen, op, value)


def _points(op, value, scope):
    from app.wallet.models import PointsAccount

    return _per_member(scope, PointsAccount.member_id, PointsAccount.balance, op, value)


def _unused_coupons(op, value, scope):
    from app.coupons.models import MemberCoupon

    usable = (MemberCoupon.status == "unused", MemberCoupon.valid_until > scope.now)
    parsed = _parse_number(op, value)
    if (op, parsed) in (("gte", 1), ("gt", 0)):
        # "Holds an unused coupon": a semi-join, without counting every holder's coupons first.
        return _has_row(scope, MemberCoupon.member_id, *usable)
    # The count per member, probed through that member's coupons (0 without any); when 0 does not
    # satisfy the comparison only holders can, and the semi-join lets the planner start from them.
    held = _compare(_count_rows(scope, MemberCoupon.member_id, *usable), op, parsed)
    return held if _zero_matches(op, parsed) else and_(_has_row(scope, MemberCoupon.member_id, *usable), held)


def _store(op, value, scope):
    store_ids = [_int(value, "value")] if op in ("eq", "ne") else _list(value, "value", _int)
    visited = _has_row(scope, Visit.member_id, Visit.store_id.in_(store_ids), Visit.refunded_at.is_(None))
    # The registration first: where it decides, the visits are not looked up.
    positive = or_(func.coalesce(scope.member.registered_store_id, 0).in_(store_ids), visited)
    return positive if op in ("eq", "in") else not_(positive)


def _text(value, path):
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= REGION_MAX:
        raise RuleError(path, f"expected text of 1 to {REGION_MAX} characters")
    return value.strip()


def _region(op, value, scope):
    return _match(scope.member.region, op, value, _text)


def _birth_year(op, value, scope):
    return _number(scope.member.birth_year, op, value, lambda v, p: _int(v, p, 1900, 2200))


def _birthday_month(op, value, scope):
    return _match(scope.member.birthday_month, op, value, lambda v, p: _int(v, p, 1, 12))


FIELDS = {
    "tier": (MATCH_OPS, _tier),
    "tier_rank": (NUMBER_OPS, _tier_rank),
    "tags": (TAG_OPS, _tags),
    "lifecycle": (MATCH_OPS, _choices_field("lifecycle", LIFECYCLES)),
    "value_class": (MATCH_OPS, _choices_field("value_class", VALUE_CLASSES)),
    "last_visit": (LAST_VISIT_OPS, _last_visit),
    "visit_count": (NUMBER_OPS, _number_field("paid_visit_count")),
    "total_paid": (NUMBER_OPS, _number_field("total_paid_fen")),
    "average_ticket": (NUMBER_OPS, _number_field("average_ticket_fen")),
    "birthday_month": (MATCH_OPS, _birthday_month),
    "vehicle_age": (AGE_OPS, _vehicle_age),
    "balance": (NUMBER_OPS, _balance),
    "points": (NUMBER_OPS, _points),
    "unused_coupons": (NUMBER_OPS, _unused_coupons),
    "store": (MATCH_OPS, _store),
    "gender": (MATCH_OPS, _choices_field("gender", GENDERS)),
    "birth_year": (NUMBER_OPS, _birth_year),
    "region": (MATCH_OPS, _region),
    "occupation": (MATCH_OPS, _choices_field("occupation", OCCUPATIONS)),
    "car_use": (MATCH_OPS, _choices_field("car_use", CAR_USES)),
    "acquisition_channel": (MATCH_OPS, _choices_field("acquisition_channel", ACQUISITION_CHANNELS)),
}
