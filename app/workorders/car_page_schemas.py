"""The counter's car page: each part is the schema of the part's own endpoint."""

from app.cards.period_schemas import PeriodCardRead
from app.cards.schemas import PackageCardRead, StampCardRead
from app.common.schemas import ResponseSchema, fields
from app.coupons.schemas import MemberCouponStaffPage
from app.members.schemas import MemberStaffRead
from app.members.vehicle_record_schemas import VehicleRecordRead
from app.wallet.schemas import WalletSummary
from app.workorders.schemas import WorkOrderRead


class CarPageRead(ResponseSchema):
    vehicle = fields.Nested(VehicleRecordRead, required=True, metadata={"description": "As GET /vehicles/{id}."})
    member = fields.Nested(
        MemberStaffRead,
        required=True,
        allow_none=True,
        metadata={"description": "As GET /members/{id}; null for a walk-in car (no member)."},
    )
    wallet = fields.Nested(
        WalletSummary, required=True, allow_none=True, metadata={"description": "As GET /members/{id}/wallet."}
    )
    package_cards = fields.List(
        fields.Nested(PackageCardRead),
        required=True,
        metadata={"description": "The member's unexpired package cards, as GET /members/{id}/package-cards."},
    )
    period_cards = fields.List(
        fields.Nested(PeriodCardRead),
        required=True,
        metadata={
            "description": "The member's unexpired period cards usable for this car, "
            "as GET /members/{id}/period-cards?vehicle_id=."
        },
    )
    stamp_cards = fields.List(
        fields.Nested(StampCardRead),
        required=True,
        metadata={"description": "The member's open stamp cards, as GET /members/{id}/stamp-cards."},
    )
    coupons = fields.Nested(
        MemberCouponStaffPage,
        required=True,
        metadata={"description": "The first 50 unused coupons, as GET /members/{id}/coupons?status=unused."},
    )
    visits = fields.List(
        fields.Nested(WorkOrderRead),
        required=True,
        metadata={"description": "The car's last 10 work orders in the caller's stores, newest first."},
    )
