import pytest

from app.common.errors import Unprocessable
from app.common.plates import is_new_energy, normalize_plate, validate_plate


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("粤b·12345", "粤B12345"),
        (" 京 A 8K9Q2 ", "京A8K9Q2"),
        ("沪a.d12345", "沪AD12345"),
        ("粤BD12345", "粤BD12345"),  # new energy: 6 characters after the city letter
        ("粤B1234学", "粤B1234学"),
    ],
)
def test_valid_plates_are_normalised(raw, expected):
    assert validate_plate(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "粤12345", "XB12345", "粤B1234", "粤B123456789", "粤I12345", "粤BO1234"])
def test_invalid_plates_are_refused(raw):
    with pytest.raises(Unprocessable) as caught:
        validate_plate(raw)
    assert caught.value.code == "invalid_plate"


def test_new_energy_plates_have_eight_characters():
    assert is_new_energy("粤BD12345")
    assert not is_new_energy("粤B12345")
    assert normalize_plate("粤bd·12345") == "粤BD12345"
