"""The annual-inspection rule (app/marketing/inspection.py) at every boundary: the 2nd/4th/8th year
sticker, the 6th/10th year station inspection, yearly from the 11th, every six months after the
15th; month ends and cars registered on 29 February; the day before, of and after each due date."""

from datetime import date, timedelta

import pytest

from app.marketing.inspection import (
    STATION,
    STICKER,
    next_inspection,
    registrations_due_on,
    schedule_months,
)

DAY = timedelta(days=1)
REGISTERED = date(2020, 5, 15)


def _next(today, registered=REGISTERED, inspection_class=None):
    found = next_inspection(registered, inspection_class, today)
    return (found.due_date, found.kind) if found else None


# (due date, kind) of a car registered on 2020-05-15, in order.
EXPECTED = [
    (date(2022, 5, 15), STICKER),  # 2nd year
    (date(2024, 5, 15), STICKER),  # 4th
    (date(2026, 5, 15), STATION),  # 6th
    (date(2028, 5, 15), STICKER),  # 8th
    (date(2030, 5, 15), STATION),  # 10th
    (date(2031, 5, 15), STATION),  # 11th: yearly after 10 years
    (date(2032, 5, 15), STATION),
    (date(2033, 5, 15), STATION),
    (date(2034, 5, 15), STATION),
    (date(2035, 5, 15), STATION),  # 15th
    (date(2035, 11, 15), STATION),  # every six months after 15 years
    (date(2036, 5, 15), STATION),
    (date(2036, 11, 15), STATION),
]


@pytest.mark.parametrize(("due", "kind"), EXPECTED)
def test_the_day_before_and_of_a_due_date_answer_it_and_the_day_after_the_next_one(due, kind):
    assert _next(due - DAY) == (due, kind)
    assert _next(due) == (due, kind)
    following = EXPECTED[EXPECTED.index((due, kind)) + 1] if (due, kind) != EXPECTED[-1] else None
    if following:
        assert _next(due + DAY) == following


def test_a_new_car_is_first_due_for_its_sticker_two_years_after_registration():
    assert _next(REGISTERED) == (date(2022, 5, 15), STICKER)
    assert _next(REGISTERED - DAY) == (date(2022, 5, 15), STICKER)


def test_the_schedule_in_months():
    points = schedule_months(max_years=17)
    assert points == [24, 48, 72, 96, 120, 132, 144, 156, 168, 180, 186, 192, 198, 204]


def test_month_ends_clamp_to_the_shorter_month():
    # Registered 31 August 2010: the 15½-year inspection falls in February 2026 (28 days).
    registered = date(2010, 8, 31)
    assert _next(date(2025, 9, 1), registered) == (date(2026, 2, 28), STATION)
    assert _next(date(2026, 3, 1), registered) == (date(2026, 8, 31), STATION)
    # Registered 31 March 2010: after 15 years, 30 September.
    assert _next(date(2025, 4, 1), date(2010, 3, 31)) == (date(2025, 9, 30), STATION)


def test_a_car_registered_on_29_february_is_due_on_28_february_of_non_leap_years():
    registered = date(2020, 2, 29)
    assert _next(date(2021, 1, 1), registered) == (date(2022, 2, 28), STICKER)
    assert _next(date(2022, 2, 28), registered) == (date(2022, 2, 28), STICKER)
    assert _next(date(2022, 3, 1), registered) == (date(2024, 2, 29), STICKER)  # a leap year: the 29th
    assert _next(date(2024, 3, 1), registered) == (date(2026, 2, 28), STATION)
    assert _next(date(2026, 3, 1), registered) == (date(2028, 2, 29), STICKER)
    assert _next(date(2028, 3, 1), registered) == (date(2030, 2, 28), STATION)
    assert _next(date(2035, 3, 1), registered) == (date(2035, 8, 29), STATION)  # 15½ years


def test_vans_and_commercial_cars_are_not_covered_and_unrecorded_class_is_a_small_car():
    assert _next(date(2026, 1, 1), inspection_class="van") is None
    assert _next(date(2026, 1, 1), inspection_class="commercial") is None
    assert _next(date(2026, 1, 1), inspection_class="small_passenger") == (date(2026, 5, 15), STATION)
    assert next_inspection(None, None, date(2026, 1, 1)) is None


@pytest.mark.parametrize(
    "registered", [date(2020, 5, 15), date(2020, 2, 29), date(2010, 8, 31), date(2016, 1, 31), date(2011, 12, 31)]
)
def test_registrations_due_on_is_the_exact_inverse_over_years_of_days(registered):
    """Every day of 2026-2027: a car's registration is listed for a day exactly when its next
    inspection is due that day."""
    day = date(2026, 1, 1)
    while day < date(2028, 1, 1):
        due = next_inspection(registered, None, day)
        listed = registered in registrations_due_on(day)
        assert listed == (due is not None and due.due_date == day), day
        day += DAY
