from app.common.schemas import (
    BodySchema,
    Computed,
    Count,
    Fen,
    PageQuery,
    QuerySchema,
    ResponseSchema,
    StrictInteger,
    fields,
    page_schema,
    validate,
)
from app.members import services
from app.members.metrics import LIFECYCLES, VALUE_CLASSES
from app.members.profile import ACQUISITION_CHANNELS, CAR_USES, GENDERS, MIN_BIRTH_YEAR, OCCUPATIONS, REGION_MAX

PHONE = validate.Regexp(r"^1\d{10}$", error="A mainland mobile number has 11 digits starting with 1.")


class TierBrief(ResponseSchema):
    id = fields.Integer()
    name = fields.String()


class TagRead(ResponseSchema):
    id = fields.Integer()
    name = fields.String()


class MemberRead(ResponseSchema):
    """What a member sees of themselves: the phone is masked."""

    id = fields.Integer()
    nickname = fields.String(allow_none=True)
    phone = Computed(lambda m: services.mask_phone(m.phone), fields.String(allow_none=True))
    gender = fields.String()
    birthday = fields.Date(allow_none=True)
    tier = fields.Nested(TierBrief, allow_none=True)
    tags = Computed(lambda m: [tag.name for tag in m.tags], fields.List(fields.String()))
    referral_code = fields.String()
    created_at = fields.DateTime()


class MemberStaffRead(MemberRead):
    """What staff see: the full phone (they call members back), visit statistics, lifecycle."""

    phone = fields.String(allow_none=True)
    tags = fields.List(fields.Nested(TagRead))
    source = fields.String()
    lifecycle = Computed(services.lifecycle_of, fields.String(validate=validate.OneOf(LIFECYCLES)))
    last_visit_at = fields.DateTime(attribute="last_paid_visit_at", allow_none=True)
    paid_visit_count = fields.Integer()
    total_paid_fen = fields.Integer()
    blocked_at = fields.DateTime(allow_none=True)
    blocked_reason = fields.String(allow_none=True)
    # The value class and the two of its factors the counter reads out (app/members/metrics.py).
    value_class = fields.String(validate=validate.OneOf(VALUE_CLASSES))
    average_ticket_fen = fields.Integer()
    mean_visit_interval_days = fields.Integer(allow_none=True)
    # Profile facts staff keep (app/members/profile.py).
    birth_year = fields.Integer(allow_none=True)
    region = fields.String(allow_none=True)
    occupation = fields.String(allow_none=True, validate=validate.OneOf(OCCUPATIONS))
    car_use = fields.String(allow_none=True, validate=validate.OneOf(CAR_USES))
    acquisition_channel = fields.String(allow_none=True, validate=validate.OneOf(ACQUISITION_CHANNELS))
    # The member's cars, so a search by phone shows which car to open and the car's page its siblings.
    vehicles = fields.List(fields.Nested(lambda: VehicleRead()))


class BlockBody(BodySchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=200))


class LoginRequest(BodySchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=128))
    referral_code = fields.String(validate=validate.Length(min=1, max=32), allow_none=True)


class MemberLoginResponse(ResponseSchema):
    token = fields.String()
    member = fields.Nested(MemberRead)


class ProfileUpdate(BodySchema):
    nickname = fields.String(validate=validate.Length(min=1, max=50))
    birthday = fields.Date(allow_none=True)
    gender = fields.String(validate=validate.OneOf(["male", "female", "unknown"]))


class PhoneBind(BodySchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=128))


class CounterRegistration(BodySchema):
    phone = fields.String(required=True, validate=PHONE)
    nickname = fields.String(validate=validate.Length(min=1, max=50))
    plate = fields.String(validate=validate.Length(min=2, max=16))
    store_id = StrictInteger()


class StaffMemberUpdate(BodySchema):
    tier_id = StrictInteger(allow_none=True)
    nickname = fields.String(validate=validate.Length(min=1, max=50))
    birthday = fields.Date(allow_none=True)
    # Profile facts: each optional, null clears it.
    gender = fields.String(validate=validate.OneOf(GENDERS))
    birth_year = StrictInteger(
        allow_none=True, validate=validate.Range(min=MIN_BIRTH_YEAR), metadata={"description": "Not in the future."}
    )
    region = fields.String(allow_none=True, validate=validate.Length(max=REGION_MAX))
    occupation = fields.String(allow_none=True, validate=validate.OneOf(OCCUPATIONS))
    car_use = fields.String(allow_none=True, validate=validate.OneOf(CAR_USES))
    acquisition_channel = fields.String(allow_none=True, validate=validate.OneOf(ACQUISITION_CHANNELS))


class MemberSearchQuery(PageQuery):
    q = fields.String(load_default="", validate=validate.Length(max=2048))


class MemberSearchBody(BodySchema):
    """A search that may carry a phone number or a scanned member card: in the body, not the URL."""

    q = fields.String(required=True, validate=validate.Length(min=1, max=2048))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100000))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class NextMaintenance(ResponseSchema):
    due_date = fields.Date(allow_none=True)
    due_mileage_km = fields.Integer(allow_none=True)


_NEXT_MAINTENANCE = NextMaintenance()  # one instance: building a schema costs more than dumping two fields


def _next_maintenance(vehicle):
    if vehicle.next_maintenance_due_date is None and vehicle.next_maintenance_due_km is None:
        return None
    return _NEXT_MAINTENANCE.dump(
        {"due_date": vehicle.next_maintenance_due_date, "due_mileage_km": vehicle.next_maintenance_due_km}
    )


class VehicleRead(ResponseSchema):
    id = fields.Integer()
    plate = fields.String()
    model = fields.String(allow_none=True)
    purchase_date = fields.Date(allow_none=True)
    mileage_km = fields.Integer(allow_none=True)
    next_maintenance = Computed(_next_maintenance, fields.Nested(NextMaintenance, allow_none=True))


class VehicleList(ResponseSchema):
    items = fields.List(fields.Nested(VehicleRead))


class VehicleCreate(BodySchema):
    plate = fields.String(required=True, validate=validate.Length(min=2, max=16))
    model = fields.String(validate=validate.Length(max=100), allow_none=True)
    purchase_date = fields.Date(allow_none=True)
    mileage_km = Count(allow_none=True)


class VehicleUpdate(BodySchema):
    model = fields.String(validate=validate.Length(max=100), allow_none=True)
    purchase_date = fields.Date(allow_none=True)
    mileage_km = Count()


class MemberSummary(ResponseSchema):
    id = fields.Integer()
    nickname = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    tier = fields.Nested(TierBrief, allow_none=True)
    lifecycle = fields.String(validate=validate.OneOf(LIFECYCLES))
    last_visit_at = fields.DateTime(allow_none=True)
    # Filled by the domains that hold value (wallet, coupons) through summary providers.
    balance_fen = fields.Integer()
    points = fields.Integer()
    unused_coupon_count = fields.Integer()


class VehicleLookupItem(ResponseSchema):
    vehicle = fields.Nested(VehicleRead)
    member = fields.Nested(MemberSummary, allow_none=True)


class PlateQuery(PageQuery):
    plate = fields.String(validate=validate.Length(min=1, max=16))


class MemberCardHeader(QuerySchema):
    """A scanned member-card QR travels in a header, never in the URL."""

    card_token = fields.String(data_key="Member-Card-Token", validate=validate.Length(min=1, max=2048))


MemberStaffPage = page_schema(MemberStaffRead, name="MemberStaffPage")
VehicleLookupPage = page_schema(VehicleLookupItem, name="VehicleLookupPage")


class TierRead(ResponseSchema):
    id = fields.Integer()
    name = fields.String()
    rank = fields.Integer()
    labor_discount_percent = fields.Integer()
    parts_discount_percent = fields.Integer()
    points_multiplier = fields.Float()
    min_spend_12m_fen = fields.Integer()
    care_note = fields.String(allow_none=True)
    counter_assignable = fields.Boolean()


class TierCreate(BodySchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))
    rank = StrictInteger(required=True, validate=validate.Range(min=0, max=1000))
    labor_discount_percent = StrictInteger(required=True, validate=validate.Range(min=0, max=100))
    parts_discount_percent = StrictInteger(load_default=0, validate=validate.Range(min=0, max=100))
    points_multiplier = fields.Float(load_default=1.0, validate=validate.Range(min=0, max=10), allow_nan=False)
    min_spend_12m_fen = Fen(load_default=0)
    care_note = fields.String(validate=validate.Length(max=200), allow_none=True)
    counter_assignable = fields.Boolean(
        load_default=False, metadata={"description": "A cashier may assign this tier at the counter."}
    )


class TierUpdate(TierCreate):
    name = fields.String(validate=validate.Length(min=1, max=50))
    rank = StrictInteger(validate=validate.Range(min=0, max=1000))
    labor_discount_percent = StrictInteger(validate=validate.Range(min=0, max=100))
    parts_discount_percent = StrictInteger(validate=validate.Range(min=0, max=100))
    points_multiplier = fields.Float(validate=validate.Range(min=0, max=10), allow_nan=False)
    min_spend_12m_fen = Fen()
    counter_assignable = fields.Boolean()


class TierList(ResponseSchema):
    items = fields.List(fields.Nested(TierRead))


class TagCreate(BodySchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=50))


class TagUpdate(BodySchema):
    name = fields.String(validate=validate.Length(min=1, max=50))


class TagList(ResponseSchema):
    items = fields.List(fields.Nested(TagRead))


class MemberTagsBody(BodySchema):
    tag_ids = fields.List(StrictInteger(), required=True, validate=validate.Length(max=100))
    replace = fields.Boolean(load_default=False)


# -- the counter's lookup, written out by hand -----------------------------------------------------


_SUMMARY_NUMBERS = ("balance_fen", "points", "unused_coupon_count")


# Conversions written inline (as marshmallow's String, Integer, Date and DateTime fields make them):
# twenty rows of a dozen values each, where a function call per value is most of the dump.
def _lookup_vehicle(vehicle):
    due_date, due_km = vehicle.next_maintenance_due_date, vehicle.next_maintenance_due_km
    purchase_date, model, mileage = vehicle.purchase_date, vehicle.model, vehicle.mileage_km
    return {
        "id": int(vehicle.id),
        "plate": str(vehicle.plate),
        "model": None if model is None else str(model),
        "purchase_date": None if purchase_date is None else purchase_date.isoformat(),
        "mileage_km": None if mileage is None else int(mileage),
        "next_maintenance": None
        if due_date is None and due_km is None
        else {
            "due_date": None if due_date is None else due_date.isoformat(),
            "due_mileage_km": None if due_km is None else int(due_km),
        },
    }


def _lookup_member(summary):
    if summary is None:
        return None
    tier, nickname, phone, visit = summary["tier"], summary["nickname"], summary["phone"], summary["last_visit_at"]
    dumped = {
        "id": int(summary["id"]),
        "nickname": None if nickname is None else str(nickname),
        "phone": None if phone is None else str(phone),
        "tier": None if tier is None else {"id": int(tier["id"]), "name": str(tier["name"])},
        "lifecycle": str(summary["lifecycle"]),
        "last_visit_at": None if visit is None else visit.isoformat(),
    }
    for name in _SUMMARY_NUMBERS:
        if name in summary:
            value = summary[name]
            dumped[name] = None if value is None else int(value)
    return dumped


def dump_plate_lookup(page):
    """A plate lookup's page (``counter_lookup.search_by_plate``) as VehicleLookupPage dumps it,
    written out field by field: the counter's busiest answer, where marshmallow's nested dumps (a
    schema per car, member and tier) cost more Python than the rest of the request. The schema stays
    the document; tests/vehicles/test_plate_lookup_dump.py holds the two to the same output."""
    return {
        "items": [
            {"vehicle": _lookup_vehicle(item["vehicle"]), "member": _lookup_member(item["member"])}
            for item in page["items"]
        ],
        "total": int(page["total"]),
        "page": int(page["page"]),
        "per_page": int(page["per_page"]),
    }
