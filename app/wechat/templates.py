"""Subscribe-message field rules, checked before sending (a violation would answer 47003).

A template's keys name their type: ``thing1``, ``time2``, ``car_number3``, ``phrase4``... Free
text (thing, name) is truncated to fit; values with a format (numbers, dates, plates, amounts,
phrases) are validated and a bad one is refused here rather than by WeChat.
"""

import re

from app.common.errors import Unprocessable

# type -> (max length, truncatable, pattern or None)
FIELD_RULES = {
    "thing": (20, True, None),
    "name": (10, True, None),
    "phrase": (5, False, re.compile(r"^[\u4e00-\u9fff]{1,5}$")),
    "number": (32, False, re.compile(r"^-?\d+(\.\d+)?$")),
    "letter": (32, False, re.compile(r"^[A-Za-z]+$")),
    "symbol": (5, False, None),
    "character_string": (32, False, re.compile(r"^[0-9A-Za-z!-/:-@\[-`{-~]+$")),
    "phone_number": (17, False, re.compile(r"^[0-9+\-() ]+$")),
    "car_number": (8, False, None),
    "amount": (12, False, re.compile(r"^[¥$€]?\d{1,10}(\.\d{1,2})?元?$")),
    "time": (
        30,
        False,
        re.compile(
            r"^(\d{4}(-\d{2}-\d{2}|年\d{1,2}月\d{1,2}日) )?\d{1,2}:\d{2}(:\d{2})?$"
            r"|^\d{4}(-\d{2}-\d{2}|年\d{1,2}月\d{1,2}日)( \d{1,2}:\d{2}(:\d{2})?)?$"
        ),
    ),
    "date": (30, False, re.compile(r"^\d{4}(-\d{2}-\d{2}|年\d{1,2}月\d{1,2}日)( \d{1,2}:\d{2}(:\d{2})?)?$")),
}
_KEY = re.compile(r"^([a-z_]+?)(\d+)$")


class TemplateFieldInvalid(Unprocessable):
    code = "template_field_invalid"


def field_type(key):
    match = _KEY.match(key)
    if not match or match.group(1) not in FIELD_RULES:
        raise TemplateFieldInvalid(message=f"unknown template field {key!r}", details={"field": key})
    return match.group(1)


def validate_and_truncate(data, overrides=None):
    """Return WeChat's ``{"key": {"value": ...}}`` form, fitted to each field's type and limit."""
    overrides = overrides or {}
    fitted = {}
    for key, raw in data.items():
        value = str(raw if raw is not None else "").strip()
        kind = overrides.get(key) or field_type(key)
        limit, truncatable, pattern = FIELD_RULES[kind]
        if not value:
            raise TemplateFieldInvalid(message=f"{key} is empty", details={"field": key})
        if len(value) > limit:
            if not truncatable:
                raise TemplateFieldInvalid(message=f"{key} exceeds {limit} characters", details={"field": key})
            value = value[: limit - 1] + "…"
        if pattern is not None and not pattern.match(value):
            raise TemplateFieldInvalid(message=f"{key} does not fit the {kind} format", details={"field": key})
        fitted[key] = {"value": value}
    return fitted
