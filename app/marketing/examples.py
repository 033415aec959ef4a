"""Request examples for the OpenAPI document."""

# Gold members and above who have not been in for half a year, or never since registering.
SEGMENT = {
    "name": "半年未到店的金卡会员",
    "rules": {
        "all": [
            {"field": "tier_rank", "op": "gte", "value": 3},
            {
                "any": [
                    {"field": "last_visit", "op": "not_within_days", "value": 180},
                    {"field": "last_visit", "op": "never", "value": True},
                ]
            },
        ]
    },
}

CAMPAIGN = {
    "name": "冬季保养提醒",
    "segment_id": 4,
    "coupon_template_id": 9,
    "message": {
        "template_key": "campaign",
        "fields": {"thing1": "{nickname}的爱车{plate}", "thing2": "您有一项车主权益待查看"},
        "page": "pages/coupons/index",
    },
    "send_at": "2026-12-20T02:00:00+00:00",
}
