"""The counter's car page in one answer: the car's record, its member (tier, lifecycle, value class),
stored value and points, package cards, period cards usable for the car, open stamp cards, usable
coupons and the car's last visits.

Each part is the same service the part's own endpoint uses (those stay for other clients); what
this adds is one request instead of seven. Every part reads with a fixed number of queries — lists
are loaded in one query each with what they show — so the page costs the same for a member with
one visit as for one with hundreds.
"""

from app.cards import period_services, stamp_services
from app.cards import services as card_services
from app.coupons import services as coupon_services
from app.members import services as member_services
from app.members import vehicle_records
from app.wallet import services as wallet_services
from app.workorders.services import list_work_orders

VISITS = 10
COUPONS = 50


def car_page(*, actor, vehicle_id, now=None):
    """The car page of any car of the chain (404 ``vehicle_not_found``): the member's parts are
    empty for a walk-in car; the visits are the car's own last ``VISITS`` orders in the caller's
    stores (all stores for the owner), newest first; coupons are the first ``COUPONS`` unused ones."""
    vehicle = vehicle_records.get_vehicle(vehicle_id=vehicle_id)
    visits = list_work_orders(actor=actor, vehicle_id=vehicle.id, per_page=VISITS)["items"]
    page = {
        "vehicle": vehicle,
        "member": None,
        "wallet": None,
        "package_cards": [],
        "period_cards": [],
        "stamp_cards": [],
        "coupons": {"items": [], "total": 0, "page": 1, "per_page": COUPONS},
        "visits": visits,
    }
    member_id = vehicle.member_id
    if member_id is None:
        return page
    page["member"] = member_services.get_member(member_id)
    page["wallet"] = wallet_services.wallet_summary(member_id=member_id, now=now)
    page["package_cards"] = card_services.describe(
        card_services.list_member_cards(member_id=member_id, now=now), now=now
    )
    page["period_cards"] = period_services.describe(
        period_services.list_member_cards(member_id=member_id, vehicle_id=vehicle.id, now=now), now=now
    )
    page["stamp_cards"] = stamp_services.list_open_cards(member_id=member_id, now=now)
    page["coupons"] = coupon_services.list_member_coupons(
        member_id=member_id, status="unused", per_page=COUPONS, now=now
    )
    return page
