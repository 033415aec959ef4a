"""What each kind of push says, and with which WeChat template.

WeChat forbids marketing content in subscribe messages: every text here reads as a service notice
(a benefit is waiting, a coupon is about to expire, maintenance is due); the offer itself is shown
in the mini-program behind the message's ``page``.

Settings:
- ``WECHAT_TEMPLATE_IDS`` (app/config.py): template key -> the template id chosen in the WeChat
  console. Fake mode falls back to ``fake-<key>``; live mode refuses to send without an id.
- ``MARKETING_MESSAGES`` (optional, app config): kind -> {"fields": {...}, "page": ...} replacing the
  defaults below, because the field keys (thing1, date2...) depend on the templates the merchant chose.

Field values and pages may use the placeholders of ``PLACEHOLDERS``.
"""

import re

from flask import current_app

from app.common.errors import Unprocessable

PLACEHOLDERS = ("nickname", "plate", "date", "tier", "store", "detail", "ref_id")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
# Hard-sell wording WeChat rejects in subscribe messages (campaign texts are checked against it).
MARKETING_WORDS = ("促销", "特价", "秒杀", "抢购", "大促", "打折", "折扣", "限时", "甩卖", "低至", "狂欢", "免费送")

DEFAULT_MESSAGES = {
    "birthday": {
        "fields": {"thing1": "会员生日关怀", "thing2": "您有一份生日权益待查看", "date3": "{date}"},
        "page": "pages/member/benefits?from=birthday",
    },
    "maintenance_due": {
        "fields": {"car_number1": "{plate}", "date2": "{date}", "thing3": "爱车保养即将到期，请预约到店"},
        "page": "pages/vehicles/maintenance?vehicle_id={ref_id}",
    },
    "first_maintenance": {
        "fields": {"car_number1": "{plate}", "date2": "{date}", "thing3": "新车首保即将到期，请预约到店"},
        "page": "pages/vehicles/maintenance?vehicle_id={ref_id}",
    },
    "win_back": {
        "fields": {"thing1": "会员权益提醒", "thing2": "您有一项车主权益待查看", "date3": "{date}"},
        "page": "pages/member/benefits?from=win_back",
    },
    "follow_up": {
        "fields": {"thing1": "{store}服务回访", "thing2": "请为本次服务评价", "date3": "{date}"},
        "page": "pages/work-orders/rate?id={ref_id}",
    },
    "booking_reminder": {
        "fields": {"thing1": "{store}", "time2": "{detail}", "car_number3": "{plate}", "thing4": "请按预约时间到店"},
        "page": "pages/bookings/detail?id={ref_id}",
    },
    "coupon_expiring": {
        "fields": {"thing1": "{detail}", "date2": "{date}", "thing3": "您的优惠券即将到期"},
        "page": "pages/coupons/index",
    },
    # 完工提醒 / 取车通知: plate (car_number ≤ 8), store (thing ≤ 20), completion time
    # ("YYYY-MM-DD HH:MM"), a fixed notice (thing ≤ 20).
    "car_ready": {
        "fields": {
            "car_number1": "{plate}",
            "thing2": "{store}",
            "time3": "{detail}",
            "thing4": "爱车已完工，请到店取车",
        },
        "page": "pages/work-orders/detail?id={ref_id}",
    },
    # 增项确认: plate, the added work's names (thing, truncated to 20), a fixed notice.
    "extra_work_approval": {
        "fields": {"car_number1": "{plate}", "thing2": "{detail}", "thing3": "有增项待您确认"},
        "page": "pages/work-orders/detail?id={ref_id}",
    },
    # 续保提醒: plate (car_number ≤ 8), the policy's last day, a fixed notice (thing ≤ 20).
    "insurance_renewal": {
        "fields": {"car_number1": "{plate}", "date2": "{date}", "thing3": "车险即将到期，请及时续保"},
        "page": "pages/vehicles/detail?vehicle_id={ref_id}",
    },
    # 年检提醒: plate, the due day, what it takes ("上线检验" / "申领检验标志", thing ≤ 20).
    "annual_inspection": {
        "fields": {"car_number1": "{plate}", "date2": "{date}", "thing3": "年检到期：{detail}"},
        "page": "pages/vehicles/detail?vehicle_id={ref_id}",
    },
    # 周年关怀: what is celebrated ("入会3周年", thing), the day, a fixed notice.
    "member_anniversary": {
        "fields": {"thing1": "{detail}", "date2": "{date}", "thing3": "感谢一路相伴，权益请查看"},
        "page": "pages/member/benefits?from=anniversary",
    },
    "purchase_anniversary": {
        "fields": {"thing1": "{detail}", "date2": "{date}", "thing3": "爱车周年，欢迎到店检查"},
        "page": "pages/vehicles/detail?vehicle_id={ref_id}",
    },
    # 节日问候: the holiday's name (thing ≤ 20), its day, a fixed notice.
    "holiday": {
        "fields": {"thing1": "{detail}", "date2": "{date}", "thing3": "节日问候，您有一份关怀待查看"},
        "page": "pages/member/benefits?from=holiday",
    },
}
# What a campaign's fields are checked with when it is created (the real values come at send time).
SAMPLE_CONTEXT = {
    "nickname": "车主",
    "plate": "粤B12345",
    "date": "2026-01-01",
    "tier": "会员",
    "store": "门店",
    "detail": "服务",
    "ref_id": "1",
}


def definition(kind):
    """{"fields": {...}, "page": ...} for a kind (settings first, then the defaults)."""
    configured = (current_app.config.get("MARKETING_MESSAGES") or {}).get(kind)
    return configured or DEFAULT_MESSAGES[kind]


def template_id(template_key):
    configured = (current_app.config.get("WECHAT_TEMPLATE_IDS") or {}).get(template_key)
    if configured:
        return configured
    return f"fake-{template_key}" if current_app.config.get("WECHAT_MODE", "fake") != "live" else None


def placeholders_in(text):
    return set(_PLACEHOLDER.findall(text or ""))


def render(text, context):
    """Fill ``{placeholders}``; an empty result reads as "-" (WeChat refuses empty values)."""
    if text is None:
        return None
    value = _PLACEHOLDER.sub(lambda match: str(context.get(match.group(1)) or ""), text).strip()
    return value or "-"


def render_fields(fields, context):
    return {name: render(text, context) for name, text in fields.items()}


def check_campaign_message(fields, page=None):
    """A campaign's texts: known placeholders only, no hard-sell wording, every field fits its type."""
    from app.wechat.templates import validate_and_truncate

    if not fields:
        raise Unprocessable("template_fields_required", "A message needs at least one field.")
    used = set().union(*(placeholders_in(text) for text in fields.values()), placeholders_in(page))
    unknown = sorted(used - set(PLACEHOLDERS))
    if unknown:
        raise Unprocessable(
            "unknown_placeholder",
            "Unknown placeholders in the message.",
            details={"placeholders": unknown, "known": list(PLACEHOLDERS)},
        )
    for name, text in fields.items():
        words = [word for word in MARKETING_WORDS if word in text]
        if words:
            raise Unprocessable(
                "marketing_wording",
                "Subscribe messages must read as service notices; show the offer in the mini-program page instead.",
                details={"field": name, "words": words},
            )
    validate_and_truncate(render_fields(fields, SAMPLE_CONTEXT))
