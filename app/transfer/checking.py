"""Checking read rows against the database: skip (imported before), merge (the member with the
same phone or plate is here), create, or an error (a plate held by another member, an unknown tier,
card, card item or coupon, an expiry already past, a member not found for the add-on kinds)."""

from sqlalchemy import select

from app.cards.models import PackageCardTemplate
from app.catalog.models import ServiceItem
from app.common import clock
from app.coupons.models import CouponTemplate
from app.extensions import db
from app.members.models import Member, Vehicle
from app.members.tiers.models import Tier
from app.merchant.services import get_settings
from app.transfer.bulk import chunks
from app.transfer.models import ImportRowKey
from app.transfer.reading import MESSAGES, row_error


def resolve(check):
    """Classify each row against the database: skip (imported before), merge or create; errors for
    plates held by another member, unknown tiers and (for the add-on kinds) members not found."""
    if check.header_error:
        check.errors = [check.header_error]
        return check
    ok = [row for row in check.rows if not row.errors]
    done = set()
    for chunk in chunks([row.key for row in ok]):
        done.update(
            db.session.scalars(
                select(ImportRowKey.row_key).where(ImportRowKey.kind == check.kind, ImportRowKey.row_key.in_(chunk))
            )
        )
    by_phone, by_plate = {}, {}
    for chunk in chunks({row.values["phone"] for row in ok if row.values.get("phone")}):
        by_phone.update(db.session.execute(select(Member.phone, Member.id).where(Member.phone.in_(chunk))).all())
    for chunk in chunks({row.values["plate"] for row in ok if row.values.get("plate")}):
        by_plate.update(
            db.session.execute(select(Vehicle.plate, Vehicle.member_id).where(Vehicle.plate.in_(chunk))).all()
        )
    tiers = dict(db.session.execute(select(Tier.name, Tier.id)).all())
    for row in check.rows:
        tier = row.values.get("tier")
        if tier and tier not in tiers:
            error = row_error(row.number, "会员等级", "unknown_tier", MESSAGES["unknown_tier"].format(tier=tier))
            row.errors.append(error)
            check.errors.append(error)
    _check_names(check)
    ok = [row for row in ok if not row.errors]
    for row in ok:
        values = row.values
        phone_member = by_phone.get(values.get("phone"))
        plate_member = by_plate.get(values.get("plate"))
        if phone_member and plate_member and phone_member != plate_member:
            row.errors.append(row_error(row.number, "车牌号", "plate_taken", MESSAGES["plate_taken"]))
        elif plate_member and values.get("phone") and not phone_member:
            row.errors.append(row_error(row.number, "车牌号", "plate_taken", MESSAGES["plate_taken"]))
        row.member_id = phone_member or plate_member
        if row.key in done:
            row.action = "skip"
        elif row.member_id and check.kind in ("package_cards", "coupons"):
            row.action = "create"  # a card or coupon for a member already here
        elif row.member_id:
            row.action = "merge"
        elif check.kind != "members":
            row.errors.append(row_error(row.number, "手机号", "member_not_found", MESSAGES["member_not_found"]))
        else:
            row.action = "create"
        check.errors.extend(row.errors)
    check.errors.sort(key=lambda e: (e["row"], e["column"] or ""))
    return check


def _check_names(check):
    """Cards, their items and coupons are named as the shop set them up here."""
    if check.kind == "package_cards":
        templates = {t.name: t for t in db.session.scalars(select(PackageCardTemplate))}
        item_names = dict(db.session.execute(select(ServiceItem.id, ServiceItem.name)).all())
        for row in check.rows:
            name, item = row.values.get("card_name"), row.values.get("item_name")
            template = templates.get(name)
            if name and template is None:
                row.errors.append(
                    row_error(row.number, "套餐卡名称", "unknown_card", MESSAGES["unknown_card"].format(name=name))
                )
            elif (
                template is not None
                and item
                and item not in {item_names.get(i.service_item_id) for i in template.items}
            ):
                row.errors.append(
                    row_error(
                        row.number,
                        "服务项目",
                        "unknown_card_item",
                        MESSAGES["unknown_card_item"].format(card=name, item=item),
                    )
                )
            else:
                _check_expiry(check, row)
                continue
            check.errors.append(row.errors[-1])
    elif check.kind == "coupons":
        names = set(db.session.scalars(select(CouponTemplate.name)))
        for row in check.rows:
            name = row.values.get("coupon_name")
            if name and name not in names:
                row.errors.append(
                    row_error(row.number, "优惠券名称", "unknown_coupon", MESSAGES["unknown_coupon"].format(name=name))
                )
                check.errors.append(row.errors[-1])
            else:
                _check_expiry(check, row)


def _check_expiry(check, row):
    day = row.values.get("expires_on")
    if day is not None and day < clock.local_today(get_settings().timezone, clock.now()):
        row.errors.append(row_error(row.number, "到期日期", "already_expired", MESSAGES["already_expired"]))
        check.errors.append(row.errors[-1])
