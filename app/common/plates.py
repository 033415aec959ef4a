"""Chinese licence plates: normalisation and validation.

A plate is a province character, a letter (the issuing city), then 5 characters, or 6 for
new-energy plates (新能源). Input is normalised to upper case without spaces, dots or "·"
(粤b·12345 → 粤B12345).
"""

import re

from app.common.errors import Unprocessable

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
_SEPARATORS = re.compile(r"[\s.·•・\-]+")
# Letters I and O are not used on plates; the last character may be 学/警/港/澳/挂 on special plates.
_PLATE = re.compile(rf"^[{PROVINCES}][A-HJ-NP-Z](?:[A-HJ-NP-Z0-9]{{4}}[A-HJ-NP-Z0-9挂学警港澳]|[A-HJ-NP-Z0-9]{{6}})$")


def normalize_plate(raw: str) -> str:
    """Upper-case the plate and drop separators; no validation."""
    return _SEPARATORS.sub("", raw or "").upper()


def validate_plate(raw: str) -> str:
    """Return the normalised plate or raise ``invalid_plate`` (422)."""
    plate = normalize_plate(raw)
    if not _PLATE.match(plate):
        raise Unprocessable("invalid_plate", f"{raw!r} is not a valid plate number", details={"plate": raw})
    return plate


def is_new_energy(plate: str) -> bool:
    return len(plate) == 8


def display_plate(plate: str) -> str:
    """A stored plate as people read it: 粤B12345 → 粤B·12345."""
    return f"{plate[:2]}·{plate[2:]}" if plate and len(plate) > 2 else plate
