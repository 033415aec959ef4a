"""Profile facts staff keep about a member (画像), for segments and the owner's statistics.

All optional. Enumerated where the answers fall into a few kinds the shop acts on (gender, car
use, how they found the shop, occupation); the region is free text (a district, a town: the
shops of a chain are in different cities), trimmed, compared exactly. The birth year is a year
(the mini-program's birthday is often only a day and month the member cares about).
"""

GENDERS = ("male", "female", "unknown")
OCCUPATIONS = (
    "office_worker",
    "civil_servant",
    "self_employed",
    "professional",
    "driver",
    "worker",
    "student",
    "retired",
    "other",
)
CAR_USES = ("private", "commute", "ride_hailing", "taxi", "business", "freight", "other")
ACQUISITION_CHANNELS = (
    "walk_in",
    "referral",
    "wechat",
    "dianping",
    "douyin",
    "map",
    "insurer",
    "dealer",
    "advertising",
    "other",
)
MIN_BIRTH_YEAR = 1920
REGION_MAX = 50
# The facts and the choices of each (None: free text or a number).
FACTS = {
    "gender": GENDERS,
    "birth_year": None,
    "region": None,
    "occupation": OCCUPATIONS,
    "car_use": CAR_USES,
    "acquisition_channel": ACQUISITION_CHANNELS,
}
