"""The annual inspection (年检) of a car, by the national rule: when it is next due and what it takes.

The rule, as we confirmed it before writing this (third-party reproductions of the official texts):

- 《道路交通安全法实施条例》第十六条: "机动车应当从注册登记之日起，按照下列期限进行安全技术检验：
  ……（三）小型、微型非营运载客汽车6年以内每2年检验1次；超过6年的，每年检验1次；超过15年的，
  每6个月检验1次".
- The reform of the four ministries (公安部、市场监管总局、生态环境部、交通运输部), in force since
  1 October 2022: "非营运小微型载客汽车（9座含9座以下，不含面包车）自注册登记之日起第6年、第10年进行
  安全技术检验，在10年内每两年向公安交管部门申领检验标志；超过10年的，每年检验1次". It does not
  touch the 15-year clause of article 16, so a car older than 15 years is inspected every six months
  (one secondary source says the reform dropped it; the regulation's text still has it, and
  reminding twice a year is the safe side).

So for a non-commercial small passenger car (vans excepted), counted from the registration date
(行驶证注册日期):

- year 2, 4 and 8: the inspection sticker is applied for without an inspection (申领检验标志,
  ``sticker``);
- year 6 and 10: inspected at a station (上线检验, ``station``);
- years 11 to 15: inspected every year;
- after 15 years: every six months (15½, 16, 16½, ...).

A due date is the registration date that many months later, clamped to the month's end (a car
registered on 29 February is due on 28 February in a non-leap year; 31 August + 6 months is the
end of February). The due day itself is still "due"; the day after, the next one is.

Vans and commercial cars follow other schedules (yearly or twice a year from the start) and are
not reminded by this rule: ``next_inspection`` answers None for them. A car whose class is not
recorded is taken as a non-commercial small passenger car.
"""

from dataclasses import dataclass
from datetime import date

from app.common import clock

STATION = "station"
STICKER = "sticker"
SMALL_PASSENGER = "small_passenger"
# How far the schedule is followed: the reminders look this far back for registration dates.
MAX_AGE_YEARS = 60
_STICKER_YEARS = (2, 4, 8)


@dataclass(frozen=True)
class Inspection:
    due_date: date
    kind: str  # STATION or STICKER
    months: int  # months after registration


def schedule_months(max_years=MAX_AGE_YEARS):
    """The due points, in months after registration: 24, 48, 72, 96, 120, 132, ..., 180, 186, 192, ..."""
    points = [24, 48, 72, 96, 120]
    points += [12 * year for year in range(11, 16)]
    points += list(range(186, 12 * max_years + 1, 6))
    return points


def inspection_kind(months):
    return STICKER if months % 12 == 0 and months // 12 in _STICKER_YEARS else STATION


def applies_to(inspection_class):
    """Whether the rule covers a car of this class (None: not recorded, taken as a small passenger car)."""
    return inspection_class in (None, SMALL_PASSENGER)


def next_inspection(registration_date, inspection_class, today):
    """The first inspection due on or after ``today`` for a car registered on ``registration_date``:
    its due date, whether it is a station inspection or the sticker only, and the months after
    registration. None for vans and commercial cars (another schedule), and past ``MAX_AGE_YEARS``."""
    if registration_date is None or not applies_to(inspection_class):
        return None
    for months in schedule_months():
        due = clock.add_months(registration_date, months)
        if due >= today:
            return Inspection(due_date=due, kind=inspection_kind(months), months=months)
    return None


def registrations_due_on(due_day):
    """Every registration date whose car has an inspection due on ``due_day`` (with its months):
    the inverse of ``next_inspection``, for the daily job's ``IN`` list. Month-end clamping maps up
    to four registration dates (28th-31st) onto one due day."""
    found = {}
    for months in schedule_months():
        first = clock.add_months(due_day, -months)
        for offset in range(4):
            candidate = date.fromordinal(first.toordinal() + offset)
            if clock.add_months(candidate, months) == due_day:
                found[candidate] = months
    return found
