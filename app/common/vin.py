"""Vehicle identification numbers (VIN, 车架号): 17 characters with a check digit.

China's GB 16735 follows ISO 3779 and, like North America, puts a check digit in position 9: each
character is transliterated to a number (digits as themselves, letters by the table below), multiplied
by its position's weight, and the sum modulo 11 is the check digit (10 is written ``X``). Letters I,
O and Q never appear, so they cannot be confused with 1 and 0.
"""

import re

from app.common.errors import Unprocessable

_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_SHAPE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_SEPARATORS = re.compile(r"[\s\-]+")


def check_digit(vin: str) -> str:
    """The check character position 9 must hold for the other sixteen characters of ``vin``."""
    total = sum(_TRANSLITERATION[char] * weight for char, weight in zip(vin, _WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalize_vin(raw: str) -> str:
    """Upper case, full-width letters and digits folded to ASCII, spaces and dashes dropped."""
    folded = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in raw or "")
    return _SEPARATORS.sub("", folded).upper()


def validate_vin(raw: str) -> str:
    """Return the normalised VIN, or raise 422 ``invalid_vin`` (shape) / ``vin_check_digit_mismatch``."""
    vin = normalize_vin(raw)
    if not _SHAPE.match(vin):
        raise Unprocessable(
            "invalid_vin",
            "A VIN is 17 letters and digits, without I, O or Q.",
            details={"vin": vin[:32]},
        )
    expected = check_digit(vin)
    if vin[8] != expected:
        raise Unprocessable(
            "vin_check_digit_mismatch",
            f"The VIN's check digit (9th character) should be {expected}: a character was probably mistyped.",
            details={"vin": vin, "expected_check_digit": expected},
        )
    return vin
