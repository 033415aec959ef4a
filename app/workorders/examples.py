"""Request examples for the OpenAPI document (what a counter sends on a typical visit)."""

OPEN_WORK_ORDER = {
    "store_id": 1,
    "plate": "粤B12345",
    "mileage_km": 48210,
    "lines": [{"service_item_id": 3, "quantity": 1}, {"part_id": 7, "quantity": 4}],
}

# A member pays part with a coupon, points and stored value, and the rest by WeChat at the counter.
SETTLE_TENDERS = {
    "tenders": [
        {"type": "coupon", "member_coupon_id": 12},
        {"type": "points", "points": 500},
        {"type": "stored_value", "amount_fen": 20000},
        {"type": "wechat", "amount_fen": 8800},
    ]
}
