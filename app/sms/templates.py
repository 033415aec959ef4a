"""The SMS templates registered with the provider, one per message kind, and their parameter rules.

China's carriers only deliver text registered in advance: each template below is submitted in the
Tencent Cloud SMS console (as a 通知类/notification template; its text with ``{1}``, ``{2}``... as
variables, each variable registered with the type named here), and the id it gets is configured in
``SMS_TEMPLATE_IDS`` (kind -> id; fake mode falls back to ``fake-<kind>``). A message is the template
id plus the values of its parameters, taken from the outbox's placeholder values in order.

Only service notices go by SMS. Kinds whose text promotes a benefit (birthday, win-back, expiring
coupon, campaigns) are marketing SMS, which needs the member's prior consent and 拒收请回复R
wording: they are listed in ``NOT_BY_SMS`` and keep their WeChat-only behaviour (docs/rules.md).

Parameter limits (the provider refuses a bad one with InvalidParameterValue.TemplateParameter...):
each value is non-empty, at most the length of its registered type (free text is shortened to fit,
formatted values are refused), and no value may carry a link.
"""

import math
import re
from dataclasses import dataclass

from flask import current_app

from app.common.errors import Unprocessable

# type -> (max length, shortened to fit, pattern or None)
PARAM_RULES = {
    "name": (12, True, None),  # 名称: a nickname or a store
    "car_number": (8, False, re.compile(r"^[\u4e00-\u9fa5][A-Z][A-Z0-9]{4,6}$")),
    "date": (10, False, re.compile(r"^\d{4}-\d{2}-\d{2}$")),
    "time": (16, False, re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2})?$")),
    "other": (20, True, None),  # 其他: a short phrase
}
_LINK = re.compile(r"(https?://|www\.)", re.IGNORECASE)
SINGLE_PART = 70  # characters of one SMS, the signature 【…】 included
LONG_PART = 67  # characters of each part of a long SMS
MAX_LENGTH = 500  # the provider's limit for one long SMS


@dataclass(frozen=True)
class SmsTemplate:
    text: str  # as registered: {1}, {2}... are the parameters, in order
    params: tuple  # ((placeholder, type), ...) in the order of {1}, {2}...


SMS_TEMPLATES = {
    "maintenance_due": SmsTemplate(
        "{1}您好，您的爱车{2}保养将于{3}到期，请预约到店保养。",
        (("nickname", "name"), ("plate", "car_number"), ("date", "date")),
    ),
    "first_maintenance": SmsTemplate(
        "{1}您好，您的新车{2}首次保养将于{3}到期，请预约到店。",
        (("nickname", "name"), ("plate", "car_number"), ("date", "date")),
    ),
    "follow_up": SmsTemplate(
        "{1}您好，感谢您光临{2}，欢迎在小程序中为本次服务评价。",
        (("nickname", "name"), ("store", "name")),
    ),
    "booking_reminder": SmsTemplate(
        "您在{1}预约的服务时间为{2}，车辆{3}，请按时到店。",
        (("store", "name"), ("detail", "time"), ("plate", "car_number")),
    ),
    "car_ready": SmsTemplate(
        "您的爱车{1}已于{2}在{3}完工，请到店取车。",
        (("plate", "car_number"), ("detail", "time"), ("store", "name")),
    ),
    "insurance_renewal": SmsTemplate(
        "{1}您好，您的爱车{2}车险将于{3}到期，请及时续保。",
        (("nickname", "name"), ("plate", "car_number"), ("date", "date")),
    ),
    "annual_inspection": SmsTemplate(
        "{1}您好，您的爱车{2}年检将于{3}到期（{4}），请及时办理。",
        (("nickname", "name"), ("plate", "car_number"), ("date", "date"), ("detail", "other")),
    ),
    "extra_work_approval": SmsTemplate(
        "您的爱车{1}有增项待确认：{2}，请在小程序中查看并确认。",
        (("plate", "car_number"), ("detail", "other")),
    ),
}
# Marketing kinds: never by SMS (see the module docstring). A kind is in one of the two.
# Greetings (anniversaries, holidays) are marketing too.
NOT_BY_SMS = frozenset(
    {"birthday", "win_back", "coupon_expiring", "campaign", "member_anniversary", "purchase_anniversary", "holiday"}
)


class SmsParameterInvalid(Unprocessable):
    code = "sms_parameter_invalid"


def template_for(kind):
    """The kind's SMS template, or None when the kind is not sent by SMS."""
    return SMS_TEMPLATES.get(kind)


def template_id(kind):
    """The provider's id of the kind's template: configured, ``fake-<kind>`` in fake mode, else None."""
    configured = (current_app.config.get("SMS_TEMPLATE_IDS") or {}).get(kind)
    if configured:
        return str(configured)
    return f"fake-{kind}" if current_app.config.get("SMS_MODE", "fake") != "live" else None


def fit(value, kind_of_param):
    """One parameter value fitted to its type's limit, or ``SmsParameterInvalid``."""
    limit, shortened, pattern = PARAM_RULES[kind_of_param]
    text = str(value if value is not None else "").strip()
    if not text or text == "-":
        raise SmsParameterInvalid(message=f"an empty {kind_of_param} parameter", details={"type": kind_of_param})
    if _LINK.search(text):
        raise SmsParameterInvalid(message="a parameter carries a link", details={"type": kind_of_param})
    if len(text) > limit:
        if not shortened:
            raise SmsParameterInvalid(
                message=f"a {kind_of_param} parameter exceeds {limit} characters", details={"type": kind_of_param}
            )
        text = text[: limit - 1] + "…"
    if pattern is not None and not pattern.match(text):
        raise SmsParameterInvalid(
            message=f"a parameter does not fit the {kind_of_param} format", details={"type": kind_of_param}
        )
    return text


def parameters(kind, values):
    """The template's parameter list for a message, from the outbox's placeholder values."""
    template = SMS_TEMPLATES[kind]
    return [fit(values.get(name), type_) for name, type_ in template.params]


def rendered(text, params):
    return re.sub(r"\{(\d+)\}", lambda match: params[int(match.group(1)) - 1], text)


def parts(text, sign):
    """How many SMS the provider bills for ``text`` under the signature ``sign``."""
    length = len(text) + len(sign or "") + 2  # 【sign】
    if length > MAX_LENGTH:
        raise SmsParameterInvalid(message=f"the text exceeds {MAX_LENGTH} characters")
    return 1 if length <= SINGLE_PART else math.ceil(length / LONG_PART)
