"""Helpers of the bookings tests (the fixtures are in this package's conftest)."""

from datetime import date, datetime, timedelta, timezone

SHANGHAI = timezone(timedelta(hours=8))
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI)
DAY = date(2026, 12, 1)
WEEK_HOURS = {day: ["09:00", "18:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat")}


def at(hour, minute=0, day=DAY):
    """A local (+08:00) instant as the API writes it."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).isoformat()


class Booker:
    """Members, cars and bookings through the API, for one test."""

    def __init__(self, api, staff_tokens, stores, item_id):
        self.api, self.staff, self.stores, self.item_id = api, staff_tokens, stores, item_id
        self._cars = 0

    def member_with_car(self, code):
        token, member = _login(self.api, code)
        self._cars += 1
        response = self.api.post("/me/vehicles", token, json={"plate": f"粤B{self._cars:05d}"})
        assert response.status_code == 201, response.json
        return token, response.json["id"]

    def book(self, token, vehicle_id, start, *, item_id=None, store_id=None):
        return self.api.post(
            "/me/bookings",
            token,
            json={
                "store_id": store_id or self.stores[0],
                "vehicle_id": vehicle_id,
                "service_item_id": item_id or self.item_id,
                "start": start,
            },
        )

    def booked(self, code, start, **kwargs):
        """A member with a car and a successful booking: (token, booking json)."""
        token, vehicle_id = self.member_with_car(code)
        response = self.book(token, vehicle_id, start, **kwargs)
        assert response.status_code == 201, response.json
        return token, response.json

    def slots(self, day=DAY, item_id=None, token=None, store_id=None):
        item = item_id or self.item_id
        response = self.api.get(
            f"/stores/{store_id or self.stores[0]}/slots?date={day.isoformat()}&service_item_id={item}",
            token or self.staff["owner"],
        )
        assert response.status_code == 200, response.json
        return {slot["start"]: slot for slot in response.json["items"]}

    def service_item(self, duration_minutes, name="保养"):
        response = self.api.post(
            "/service-items",
            self.staff["owner"],
            json={"name": name, "category": "maintenance", "price_fen": 20000, "duration_minutes": duration_minutes},
        )
        assert response.status_code == 201, response.json
        return response.json["id"]


def _login(api, code):
    response = api.post("/auth/wechat/login", json={"code": code})
    assert response.status_code == 200, response.json
    return response.json["token"], response.json["member"]


def configure_store(api, owner_token, store_id, **changes):
    body = {
        "bays": 2,
        "slot_minutes": 30,
        "opening_hours": WEEK_HOURS,
        "closed_dates": ["2026-12-25"],
        "booking_cancel_cutoff_minutes": 120,
        **changes,
    }
    response = api.patch(f"/stores/{store_id}", owner_token, json=body)
    assert response.status_code == 200, response.json
    return response.json
