"""Who may call what: every route of the URL map × seven callers, each with its expected outcome.

The callers: anonymous, member A, member B, the cashier of store 1, the cashier of store 2, the
marketing manager and the owner (see access_world.py for the data they probe). Member A owns one
of everything; A's booking, A's work order and a call-list entry belong to store 2.

Outcomes:
  R    allowed, and the read answers 200 (the caller's own data, or data their role may see)
  OK   allowed: anything but 401/403 (a write with a dummy body may well be 400/404/409/422)
  401  no token: refused before anything else (code missing_token)
  403  the role may not call this (forbidden), or a cashier names, or acts on a work order of, a
       store they do not work at (store_forbidden)
  404  the row exists but is not the caller's, so it is reported as missing (*_not_found): always
       for another member's rows (an id reveals nothing), and for another store's bookings and
       call-list entries

The table is one entry per (method, rule). A route added to the URL map without an entry fails
test_every_route_has_an_entry, and so does an entry whose route is gone.
"""

import re
from dataclasses import dataclass

import pytest

from app import create_app
from app.extensions import db
from tests.hardening.access_world import (
    PASSWORD,
    PLATE_A,
    PLATE_B,
    RESCHEDULE_START,
    build_world,
    close_world_app,
    fill_ids,
    open_world_app,
)

R, OK = "R", "OK"
ACTORS = ("anonymous", "member_a", "member_b", "cashier", "cashier2", "marketing", "owner", "advisor2", "technician2")
# The two roles of the working shop, both at store 2, follow from the table's seven columns: the
# advisor has the counter's rights (cashier 2's outcome); a technician is refused everything staff
# or members may do and reaches only what anyone may (public routes, the catalog) and their own
# jobs and commission (rows that name all nine outcomes).


@dataclass(frozen=True)
class Who:
    """Who may call a route, and what each of the seven callers gets."""

    label: str
    expected: tuple  # one outcome per actor, in ACTORS order (the last two may be left to derive)

    def __post_init__(self):
        if len(self.expected) == len(ACTORS) - 2:
            member, cashier2 = self.expected[1], self.expected[4]
            if len(set(self.expected)) == 1:  # public, or WeChat's signature: the same for everyone
                technician = cashier2
            else:  # the catalog anyone signed in reads, or refused
                technician = R if member == R and cashier2 == R else 403
            object.__setattr__(self, "expected", (*self.expected, cashier2, technician))
        assert len(self.expected) == len(ACTORS), self.label


#                                                                          anon  A    B    c1   c2   mkt  owner
PUBLIC = Who("public (no token needed)", (OK, OK, OK, OK, OK, OK, OK))
DEV_ONLY = Who("public, development only (404 in production)", (OK, OK, OK, OK, OK, OK, OK))
WECHAT_SIGNED = Who("WeChat Pay only: a signature, not a token", (401, 401, 401, 401, 401, 401, 401))
SIGNED_IN_READ = Who("anyone signed in: reads the catalog", (401, R, R, R, R, R, R))
MEMBER_READ = Who("member: reads their own data", (401, R, R, 403, 403, 403, 403))
MEMBER_WRITE = Who("member: writes their own data", (401, OK, OK, 403, 403, 403, 403))
MEMBER_OWN_READ = Who("member: reads A's resource (B: missing)", (401, R, 404, 403, 403, 403, 403))
MEMBER_OWN_ACT = Who("member: acts on A's resource (B: missing)", (401, OK, 404, 403, 403, 403, 403))
STAFF_READ = Who("any staff: reads (members are chain-wide)", (401, 403, 403, R, R, R, R))
STAFF_WRITE = Who("any staff: writes", (401, 403, 403, OK, OK, OK, OK))
STAFF_AT_STORE2 = Who("any staff; a store-2 entry (c1: missing)", (401, 403, 403, 404, OK, OK, OK))
COUNTER_READ = Who("counter staff: reads", (401, 403, 403, R, R, 403, R))
COUNTER_WRITE = Who("counter staff: writes", (401, 403, 403, OK, OK, 403, OK))
COUNTER_STORE2_READ = Who("counter staff of store 2 (c1: 403)", (401, 403, 403, 403, R, 403, R))
COUNTER_STORE2_ACT = Who("counter staff of store 2 (c1: 403)", (401, 403, 403, 403, OK, 403, OK))
COUNTER_STORE2_HIDDEN_READ = Who("counter staff of store 2 (c1: missing)", (401, 403, 403, 404, R, 403, R))
COUNTER_STORE2_HIDDEN_ACT = Who("counter staff of store 2 (c1: missing)", (401, 403, 403, 404, OK, 403, OK))
BACK_OFFICE_READ = Who("back office (marketing, owner): reads", (401, 403, 403, 403, 403, R, R))
BACK_OFFICE_WRITE = Who("back office (marketing, owner): writes", (401, 403, 403, 403, 403, OK, OK))
OWNER_READ = Who("owner only: reads", (401, 403, 403, 403, 403, 403, R))
OWNER_WRITE = Who("owner only: writes", (401, 403, 403, 403, 403, 403, OK))
# A transfer from store 1 to store 2: each cashier works at one of them only.
COUNTER_BOTH_STORES = Who("counter staff of both stores (c1, c2: 403)", (401, 403, 403, 403, 403, 403, OK))
#                                                                     anon A    B    c1   c2   mkt  owner adv2 tech2
ANY_STAFF_OWN_READ = Who("any staff, technicians too: their own rows", (401, 403, 403, R, R, R, R, R, R))

# One entry per (method, rule); rules are relative to /api/v1 except the static files'.
MATRIX = {
    # auth, documentation, payments from WeChat
    ("POST", "/auth/staff/login"): PUBLIC,
    ("POST", "/auth/wechat/login"): PUBLIC,
    ("GET", "/auth/staff/me"): ANY_STAFF_OWN_READ,
    ("POST", "/auth/logout"): Who("anyone signed in: logs out", (401, OK, OK, OK, OK, OK, OK, OK, OK)),
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/static/<path:filename>"): PUBLIC,
    # The staff console's files: public like any web page (its data comes through the API).
    ("GET", "/console"): PUBLIC,
    ("GET", "/console/"): PUBLIC,
    ("GET", "/console/<path:path>"): PUBLIC,
    ("POST", "/payments/wechat/notify"): WECHAT_SIGNED,
    ("GET", "/payments/refunds"): OWNER_READ,
    ("GET", "/audit-log"): OWNER_READ,
    ("POST", "/payments/refunds/<int:refund_id>/retry"): OWNER_WRITE,
    ("POST", "/dev/payments/<out_trade_no>/confirm"): DEV_ONLY,
    # the member's own data (mini-program)
    ("GET", "/me"): MEMBER_READ,
    ("PATCH", "/me"): MEMBER_WRITE,
    ("POST", "/me/phone"): MEMBER_WRITE,
    ("GET", "/me/vehicles"): MEMBER_READ,
    ("POST", "/me/vehicles"): MEMBER_WRITE,
    ("GET", "/me/vehicles/<int:vehicle_id>"): MEMBER_OWN_READ,
    ("PATCH", "/me/vehicles/<int:vehicle_id>"): MEMBER_OWN_ACT,
    ("GET", "/me/bookings"): MEMBER_READ,
    ("POST", "/me/bookings"): MEMBER_WRITE,
    ("GET", "/me/bookings/<int:booking_id>"): MEMBER_OWN_READ,
    ("POST", "/me/bookings/<int:booking_id>/cancel"): MEMBER_OWN_ACT,
    ("POST", "/me/bookings/<int:booking_id>/reschedule"): MEMBER_OWN_ACT,
    ("GET", "/me/cards"): MEMBER_READ,
    ("GET", "/me/package-cards/<int:card_id>/entries"): MEMBER_OWN_READ,
    ("GET", "/me/period-cards"): MEMBER_READ,
    ("GET", "/me/period-cards/<int:period_card_id>/uses"): MEMBER_OWN_READ,
    ("GET", "/me/card-purchases"): MEMBER_READ,
    ("POST", "/me/card-purchases"): MEMBER_WRITE,
    ("POST", "/me/card-purchases/<int:purchase_id>/refund"): MEMBER_OWN_ACT,
    ("GET", "/me/coupons"): MEMBER_READ,
    ("GET", "/me/coupons/<int:coupon_id>"): MEMBER_OWN_READ,
    ("GET", "/me/coupons/<int:coupon_id>/qr.png"): MEMBER_OWN_READ,
    ("POST", "/coupon-templates/<int:template_id>/claim"): MEMBER_WRITE,
    ("GET", "/me/member-card/qr.png"): MEMBER_READ,
    ("GET", "/me/payments/<out_trade_no>"): MEMBER_OWN_READ,
    ("GET", "/me/wallet"): MEMBER_READ,
    ("GET", "/me/wallet/entries"): MEMBER_READ,
    ("GET", "/me/points/entries"): MEMBER_READ,
    ("POST", "/me/topups"): MEMBER_WRITE,
    ("GET", "/me/referral"): MEMBER_READ,
    ("GET", "/me/referral/qr.png"): MEMBER_READ,
    ("GET", "/me/subscriptions"): MEMBER_READ,
    ("POST", "/me/subscriptions"): MEMBER_WRITE,
    ("GET", "/me/sms-opt-out"): MEMBER_READ,
    ("PUT", "/me/sms-opt-out"): MEMBER_WRITE,
    ("GET", "/members/<int:member_id>/sms-opt-out"): STAFF_READ,
    ("PUT", "/members/<int:member_id>/sms-opt-out"): STAFF_WRITE,
    ("GET", "/marketing/sms-usage"): BACK_OFFICE_READ,
    ("GET", "/me/work-orders"): MEMBER_READ,
    ("GET", "/me/work-orders/<int:work_order_id>"): MEMBER_OWN_READ,
    ("POST", "/me/work-orders/<int:work_order_id>/pay"): MEMBER_OWN_ACT,
    # A's order is open: its receipt answers 409, so only who may ask for it is probed here.
    ("GET", "/me/work-orders/<int:work_order_id>/receipt"): MEMBER_OWN_ACT,
    ("POST", "/me/work-orders/<int:work_order_id>/approvals"): MEMBER_OWN_ACT,
    # the catalog and the shops, readable by anyone signed in
    ("GET", "/stores"): SIGNED_IN_READ,
    ("GET", "/stores/<int:store_id>"): SIGNED_IN_READ,
    ("PATCH", "/stores/<int:store_id>"): OWNER_WRITE,
    ("POST", "/stores"): OWNER_WRITE,
    ("GET", "/stores/<int:store_id>/slots"): SIGNED_IN_READ,
    ("GET", "/service-items"): SIGNED_IN_READ,
    ("POST", "/service-items"): BACK_OFFICE_WRITE,
    ("GET", "/service-items/<int:item_id>"): SIGNED_IN_READ,
    ("PATCH", "/service-items/<int:item_id>"): BACK_OFFICE_WRITE,
    ("GET", "/coupon-templates"): SIGNED_IN_READ,
    ("POST", "/coupon-templates"): BACK_OFFICE_WRITE,
    ("GET", "/coupon-templates/<int:template_id>"): SIGNED_IN_READ,
    ("PATCH", "/coupon-templates/<int:template_id>"): BACK_OFFICE_WRITE,
    ("GET", "/package-card-templates"): SIGNED_IN_READ,
    ("POST", "/package-card-templates"): BACK_OFFICE_WRITE,
    ("GET", "/package-card-templates/<int:template_id>"): SIGNED_IN_READ,
    ("PATCH", "/package-card-templates/<int:template_id>"): BACK_OFFICE_WRITE,
    ("GET", "/period-card-templates"): SIGNED_IN_READ,
    ("POST", "/period-card-templates"): OWNER_WRITE,
    ("GET", "/period-card-templates/<int:period_template_id>"): SIGNED_IN_READ,
    ("PATCH", "/period-card-templates/<int:period_template_id>"): OWNER_WRITE,
    ("GET", "/stamp-card-templates"): SIGNED_IN_READ,
    ("POST", "/stamp-card-templates"): BACK_OFFICE_WRITE,
    ("GET", "/stamp-card-templates/<int:template_id>"): SIGNED_IN_READ,
    ("PATCH", "/stamp-card-templates/<int:template_id>"): BACK_OFFICE_WRITE,
    ("GET", "/topup-plans"): SIGNED_IN_READ,
    ("POST", "/topup-plans"): OWNER_WRITE,
    ("GET", "/topup-plans/<int:plan_id>"): SIGNED_IN_READ,
    ("PATCH", "/topup-plans/<int:plan_id>"): OWNER_WRITE,
    # catalog and rules for staff only
    ("GET", "/parts"): STAFF_READ,
    ("POST", "/parts"): BACK_OFFICE_WRITE,
    ("GET", "/parts/<int:part_id>"): STAFF_READ,
    ("PATCH", "/parts/<int:part_id>"): BACK_OFFICE_WRITE,
    # stock per store: the counter staff of the store
    ("GET", "/stores/<int:store_id>/stock"): COUNTER_STORE2_READ,
    ("POST", "/stores/<int:store_id>/stock/receipts"): COUNTER_STORE2_ACT,
    ("POST", "/stores/<int:store_id>/stock/stocktakes"): COUNTER_STORE2_ACT,
    ("POST", "/stock/transfers"): COUNTER_BOTH_STORES,
    ("GET", "/parts/<int:part_id>/movements"): COUNTER_READ,
    ("GET", "/tiers"): STAFF_READ,
    ("POST", "/tiers"): OWNER_WRITE,
    ("GET", "/tiers/<int:tier_id>"): STAFF_READ,
    ("PATCH", "/tiers/<int:tier_id>"): OWNER_WRITE,
    ("GET", "/tags"): STAFF_READ,
    ("POST", "/tags"): BACK_OFFICE_WRITE,
    ("GET", "/tags/<int:tag_id>"): STAFF_READ,
    ("PATCH", "/tags/<int:tag_id>"): BACK_OFFICE_WRITE,
    ("GET", "/settings"): STAFF_READ,
    ("PATCH", "/settings"): OWNER_WRITE,
    ("GET", "/marketing/settings"): BACK_OFFICE_READ,
    ("PATCH", "/marketing/settings"): OWNER_WRITE,
    ("GET", "/marketing/holidays"): BACK_OFFICE_READ,
    ("POST", "/marketing/holidays"): BACK_OFFICE_WRITE,
    ("PATCH", "/marketing/holidays/<int:holiday_id>"): BACK_OFFICE_WRITE,
    ("DELETE", "/marketing/holidays/<int:holiday_id>"): BACK_OFFICE_WRITE,
    # members as staff see them (membership is chain-wide, not per store)
    ("GET", "/members"): COUNTER_READ,
    ("POST", "/members"): COUNTER_STORE2_ACT,
    ("GET", "/members/<int:member_id>"): STAFF_READ,
    ("PATCH", "/members/<int:member_id>"): STAFF_WRITE,
    ("POST", "/members/<int:member_id>/tags"): BACK_OFFICE_WRITE,
    ("POST", "/members/search"): COUNTER_READ,
    ("POST", "/members/<int:member_id>/block"): OWNER_WRITE,
    ("POST", "/members/<int:member_id>/unblock"): OWNER_WRITE,
    ("GET", "/members/<int:member_id>/coupons"): STAFF_READ,
    ("POST", "/members/<int:member_id>/coupons"): BACK_OFFICE_WRITE,
    ("GET", "/members/<int:member_id>/package-cards"): STAFF_READ,
    ("POST", "/members/<int:member_id>/package-cards"): COUNTER_STORE2_ACT,
    ("GET", "/members/<int:member_id>/stamp-cards"): STAFF_READ,
    ("GET", "/package-cards/<int:card_id>/entries"): STAFF_READ,
    ("GET", "/members/<int:member_id>/period-cards"): STAFF_READ,
    ("GET", "/members/<int:member_id>/card-purchases"): STAFF_READ,
    ("POST", "/members/<int:member_id>/period-cards"): COUNTER_STORE2_ACT,
    ("GET", "/period-cards/<int:period_card_id>/uses"): STAFF_READ,
    ("GET", "/members/<int:member_id>/wallet"): STAFF_READ,
    ("GET", "/members/<int:member_id>/wallet/entries"): STAFF_READ,
    ("POST", "/members/<int:member_id>/topups"): COUNTER_WRITE,
    ("POST", "/members/<int:member_id>/wallet/refund"): OWNER_WRITE,
    ("GET", "/members/<int:member_id>/points/entries"): STAFF_READ,
    ("POST", "/members/<int:member_id>/points/adjustments"): OWNER_WRITE,
    ("GET", "/member-coupons/by-code/<string:code>"): COUNTER_READ,
    ("GET", "/vehicles"): COUNTER_READ,
    ("GET", "/vehicles/<int:vehicle_id>"): COUNTER_READ,
    ("GET", "/vehicles/<int:vehicle_id>/page"): COUNTER_READ,
    ("PATCH", "/vehicles/<int:vehicle_id>"): COUNTER_WRITE,
    ("POST", "/vehicles/<int:vehicle_id>/mileage-corrections"): COUNTER_WRITE,
    ("POST", "/vehicles/<int:vehicle_id>/transfer"): COUNTER_WRITE,
    # pricing by hand
    ("PUT", "/work-orders/<int:work_order_id>/lines/<int:line_id>/discount"): COUNTER_STORE2_ACT,
    ("DELETE", "/work-orders/<int:work_order_id>/lines/<int:line_id>/discount"): COUNTER_STORE2_ACT,
    ("PUT", "/work-orders/<int:work_order_id>/discount"): COUNTER_STORE2_ACT,
    ("DELETE", "/work-orders/<int:work_order_id>/discount"): COUNTER_STORE2_ACT,
    ("GET", "/discount-limits"): COUNTER_READ,
    ("PUT", "/discount-limits"): OWNER_WRITE,
    # on account (挂账): counter staff read and record repayments; the owner manages the accounts
    ("GET", "/accounts"): COUNTER_READ,
    ("POST", "/accounts"): OWNER_WRITE,
    ("GET", "/accounts/ageing"): COUNTER_READ,
    ("GET", "/accounts/<int:account_id>"): COUNTER_READ,
    ("PATCH", "/accounts/<int:account_id>"): OWNER_WRITE,
    ("POST", "/accounts/<int:account_id>/status"): OWNER_WRITE,
    ("GET", "/accounts/<int:account_id>/receivables"): COUNTER_READ,
    ("GET", "/accounts/<int:account_id>/repayments"): COUNTER_READ,
    ("POST", "/accounts/<int:account_id>/repayments"): COUNTER_WRITE,
    ("GET", "/accounts/<int:account_id>/statement"): COUNTER_READ,
    ("GET", "/accounts/<int:account_id>/ageing"): COUNTER_READ,
    # technicians and commission
    ("PUT", "/work-orders/<int:work_order_id>/lines/<int:line_id>/technicians"): COUNTER_STORE2_ACT,
    ("GET", "/staff/me/jobs"): ANY_STAFF_OWN_READ,
    ("GET", "/staff/me/commissions"): ANY_STAFF_OWN_READ,
    ("GET", "/commissions"): OWNER_READ,
    ("GET", "/commission-rules"): OWNER_READ,
    ("POST", "/commission-rules"): OWNER_WRITE,
    ("GET", "/commission-rules/<int:rule_id>"): OWNER_READ,
    ("PATCH", "/commission-rules/<int:rule_id>"): OWNER_WRITE,
    # the counter: bookings and work orders of store 2
    ("GET", "/bookings"): COUNTER_STORE2_READ,
    ("GET", "/bookings/<int:booking_id>"): COUNTER_STORE2_HIDDEN_READ,
    ("POST", "/bookings/<int:booking_id>/cancel"): COUNTER_STORE2_HIDDEN_ACT,
    ("POST", "/bookings/<int:booking_id>/no-show"): COUNTER_STORE2_HIDDEN_ACT,
    ("POST", "/bookings/<int:booking_id>/check-in"): COUNTER_STORE2_HIDDEN_ACT,
    ("GET", "/work-orders"): COUNTER_STORE2_READ,
    ("POST", "/work-orders"): COUNTER_STORE2_ACT,
    ("GET", "/work-orders/<int:work_order_id>"): COUNTER_STORE2_READ,
    ("PATCH", "/work-orders/<int:work_order_id>"): COUNTER_STORE2_ACT,
    ("GET", "/stores/<int:store_id>/technicians"): COUNTER_STORE2_READ,
    ("POST", "/work-orders/<int:work_order_id>/lines"): COUNTER_STORE2_ACT,
    ("DELETE", "/work-orders/<int:work_order_id>/lines/<int:line_id>"): COUNTER_STORE2_ACT,
    ("POST", "/work-orders/<int:work_order_id>/lines/<int:line_id>/approval"): COUNTER_STORE2_ACT,
    ("POST", "/work-orders/<int:work_order_id>/status"): COUNTER_STORE2_ACT,
    ("POST", "/work-orders/<int:work_order_id>/quote"): COUNTER_STORE2_ACT,
    ("POST", "/work-orders/<int:work_order_id>/settle"): COUNTER_STORE2_ACT,
    ("POST", "/work-orders/<int:work_order_id>/refund"): OWNER_WRITE,
    # A's order is open: its receipt answers 409, so only who may ask for it is probed here.
    ("GET", "/work-orders/<int:work_order_id>/receipt"): COUNTER_STORE2_ACT,
    # the till and shift closes (store_id is store 2)
    ("GET", "/stores/<int:store_id>/till"): COUNTER_STORE2_READ,
    ("POST", "/stores/<int:store_id>/shifts/close"): COUNTER_STORE2_ACT,
    ("GET", "/stores/<int:store_id>/shifts"): COUNTER_STORE2_READ,
    # marketing: call list, segments, campaigns, pushes, referrals
    ("GET", "/follow-ups"): STAFF_READ,
    ("GET", "/follow-ups/outcomes"): BACK_OFFICE_READ,
    ("POST", "/follow-ups/<int:follow_up_id>/outcome"): STAFF_AT_STORE2,
    ("GET", "/segments"): BACK_OFFICE_READ,
    ("POST", "/segments"): BACK_OFFICE_WRITE,
    ("GET", "/segments/<int:segment_id>"): BACK_OFFICE_READ,
    ("GET", "/segments/<int:segment_id>/preview"): BACK_OFFICE_READ,
    ("POST", "/segments/preview"): BACK_OFFICE_WRITE,
    ("GET", "/campaigns"): BACK_OFFICE_READ,
    ("POST", "/campaigns"): BACK_OFFICE_WRITE,
    ("GET", "/campaigns/<int:campaign_id>"): BACK_OFFICE_READ,
    ("POST", "/campaigns/<int:campaign_id>/cancel"): BACK_OFFICE_WRITE,
    ("GET", "/messages"): BACK_OFFICE_READ,
    ("GET", "/referrals"): BACK_OFFICE_READ,
    ("GET", "/referrals/refusals"): BACK_OFFICE_READ,
    ("GET", "/referrals/stats"): BACK_OFFICE_READ,
    ("GET", "/referrals/referrers"): BACK_OFFICE_READ,
    # staff accounts, managed by the owner (the target is an account no caller acts as)
    ("GET", "/staff"): OWNER_READ,
    ("POST", "/staff"): OWNER_WRITE,
    ("GET", "/staff/<int:staff_id>"): OWNER_READ,
    ("PATCH", "/staff/<int:staff_id>"): OWNER_WRITE,
    ("POST", "/staff/<int:staff_id>/disable"): OWNER_WRITE,
    ("POST", "/staff/<int:staff_id>/enable"): OWNER_WRITE,
    ("POST", "/staff/<int:staff_id>/password"): OWNER_WRITE,
    # the owner's statistics
    ("GET", "/stats/overview"): OWNER_READ,
    ("GET", "/stats/timeseries"): OWNER_READ,
    ("GET", "/stats/top-members"): OWNER_READ,
    # points exchange (积分兑换): the catalog, the member's redemptions, the counter's hand-over
    ("GET", "/exchange-rewards"): STAFF_READ,
    ("POST", "/exchange-rewards"): BACK_OFFICE_WRITE,
    ("GET", "/exchange-rewards/<int:reward_id>"): STAFF_READ,
    ("PATCH", "/exchange-rewards/<int:reward_id>"): BACK_OFFICE_WRITE,
    ("GET", "/exchange-redemptions"): STAFF_READ,
    ("POST", "/exchange-redemptions/<int:redemption_id>/hand-over"): COUNTER_WRITE,
    ("POST", "/exchange-redemptions/<int:redemption_id>/cancel"): COUNTER_WRITE,
    ("GET", "/me/exchange-rewards"): MEMBER_READ,
    ("GET", "/me/exchange-redemptions"): MEMBER_READ,
    ("POST", "/me/exchange-redemptions"): MEMBER_WRITE,
    ("POST", "/me/exchange-redemptions/<int:redemption_id>/cancel"): MEMBER_OWN_ACT,
    ("GET", "/stats/satisfaction"): OWNER_READ,
    ("GET", "/stats/member-profiles"): OWNER_READ,
    # satisfaction and complaints (the complaint is about A's order at store 2)
    ("POST", "/me/work-orders/<int:work_order_id>/rating"): MEMBER_OWN_ACT,
    ("GET", "/care/settings"): BACK_OFFICE_READ,
    ("PATCH", "/care/settings"): OWNER_WRITE,
    ("GET", "/complaints"): BACK_OFFICE_READ,
    ("GET", "/complaints/<int:complaint_id>"): BACK_OFFICE_READ,
    ("POST", "/complaints/<int:complaint_id>/status"): BACK_OFFICE_WRITE,
    ("POST", "/complaints/<int:complaint_id>/notes"): BACK_OFFICE_WRITE,
    # moving a shop in and out
    ("GET", "/imports/templates/<kind>.<file_format>"): OWNER_READ,
    ("POST", "/imports"): OWNER_WRITE,
    ("GET", "/imports"): OWNER_READ,
    ("GET", "/imports/<int:import_id>"): OWNER_READ,
    ("POST", "/imports/<int:import_id>/commit"): OWNER_WRITE,
    ("POST", "/imports/<int:import_id>/undo"): OWNER_WRITE,
    ("POST", "/exports"): OWNER_WRITE,
    ("GET", "/exports/<int:export_id>"): OWNER_READ,
    ("GET", "/exports/<int:export_id>/file"): OWNER_READ,
}

# Query strings the reads need to answer 200 (store-scoped lists name store 2: cashier 1 is refused).
QUERIES = {
    ("GET", "/stores/<int:store_id>/slots"): {"date": "2026-12-01"},
    ("GET", "/follow-ups/outcomes"): {"from": "2026-11-01", "to": "2026-11-30"},
    ("GET", "/marketing/sms-usage"): {"from": "2026-11-01", "to": "2026-11-30"},
    ("GET", "/stats/timeseries"): {"metric": "revenue_fen"},
    ("GET", "/vehicles"): {"plate": "1A001"},
    ("GET", "/bookings"): {"store_id": "{store_2}", "date": "2026-12-01"},
    ("GET", "/work-orders"): {"store_id": "{store_2}"},
    ("GET", "/accounts/<int:account_id>/statement"): {"from": "2026-11-01", "to": "2026-11-30"},
}

# Bodies valid enough to reach the ownership or store check (an invalid body stops at 422 first).
# Writes not listed here send {}: their refusals happen at the role check, before the body is read.
BODIES = {
    ("PATCH", "/me/vehicles/<int:vehicle_id>"): {"model": "Model Y"},
    ("PUT", "/work-orders/<int:work_order_id>/lines/<int:line_id>/technicians"): {"technicians": []},
    ("PUT", "/work-orders/<int:work_order_id>/lines/<int:line_id>/discount"): {
        "kind": "percent",
        "value": 5,
        "reason": "老客户",
    },
    ("PUT", "/work-orders/<int:work_order_id>/discount"): {"kind": "amount", "value": 100, "reason": "抹零"},
    ("PUT", "/discount-limits"): {"role": "cashier", "max_percent": 10, "max_fen": 5000},
    ("POST", "/me/bookings/<int:booking_id>/cancel"): {"reason": "plans changed"},
    ("POST", "/me/bookings/<int:booking_id>/reschedule"): {"start": RESCHEDULE_START.isoformat()},
    ("POST", "/me/work-orders/<int:work_order_id>/pay"): {"tenders": []},
    ("POST", "/me/work-orders/<int:work_order_id>/approvals"): {
        "lines": [{"line_id": "{line_id}", "decision": "approved"}]
    },
    ("POST", "/bookings/<int:booking_id>/cancel"): {"reason": "called in"},
    ("POST", "/bookings/<int:booking_id>/check-in"): {"mileage_km": 12500},
    ("POST", "/bookings/<int:booking_id>/no-show"): None,
    ("POST", "/follow-ups/<int:follow_up_id>/outcome"): {"result": "no_answer"},
    ("PUT", "/me/sms-opt-out"): {"opted_out": True},
    ("PUT", "/members/<int:member_id>/sms-opt-out"): {"opted_out": True},
    ("POST", "/me/work-orders/<int:work_order_id>/rating"): {"score": 5},
    ("POST", "/members/search"): {"q": "1A001"},
    ("POST", "/members/<int:member_id>/package-cards"): {
        "template_id": "{package_card_template_id}",
        "paid_via": "cash",
        "store_id": "{store_2}",
    },
    ("POST", "/members/<int:member_id>/period-cards"): {
        "template_id": "{period_template_id}",
        "paid_via": "cash",
        "vehicle_id": "{vehicle_id}",
        "store_id": "{store_2}",
    },
    ("POST", "/members"): {"phone": "13700000001", "nickname": "到店新客", "store_id": "{store_2}"},
    ("POST", "/work-orders"): {"store_id": "{store_2}", "plate": PLATE_A, "lines": []},
    ("POST", "/stores/<int:store_id>/stock/receipts"): {
        "supplier": "嘉实多华南",
        "lines": [{"part_id": "{part_id}", "quantity": 1, "unit_cost_fen": 4000}],
    },
    ("POST", "/stores/<int:store_id>/stock/stocktakes"): {
        "lines": [{"part_id": "{part_id}", "counted": 1}],
        "reason": "月度盘点",
    },
    ("POST", "/stock/transfers"): {
        "from_store_id": "{store_1}",
        "to_store_id": "{store_2}",
        "lines": [{"part_id": "{part_id}", "quantity": 1}],
    },
    ("POST", "/work-orders/<int:work_order_id>/lines"): {
        "lines": [{"service_item_id": "{service_item_id}", "quantity": 1}]
    },
    ("DELETE", "/work-orders/<int:work_order_id>/lines/<int:line_id>"): None,
    ("POST", "/work-orders/<int:work_order_id>/lines/<int:line_id>/approval"): {
        "decision": "approved",
        "note": "车主电话同意",
    },
    ("POST", "/work-orders/<int:work_order_id>/status"): {"status": "in_progress"},
    ("PATCH", "/work-orders/<int:work_order_id>"): {"mileage_km": 999999},
    ("POST", "/work-orders/<int:work_order_id>/quote"): {"tenders": []},
    ("POST", "/work-orders/<int:work_order_id>/settle"): {"tenders": []},
    ("POST", "/work-orders/<int:work_order_id>/refund"): {"reason": "customer complaint"},
    ("POST", "/stores/<int:store_id>/shifts/close"): {"counted_cash_fen": 0},
}

# Which row a rule's placeholder names; template_id depends on the kind of template.
TEMPLATE_KINDS = {
    "/coupon-templates": "coupon_template_id",
    "/package-card-templates": "package_card_template_id",
    "/stamp-card-templates": "stamp_card_template_id",
}
API_PREFIX = "/api/v1"


def url_map_routes(app):
    """{(method, rule)} of the application, rules relative to /api/v1 (static files as they are)."""
    routes = set()
    for rule in app.url_map.iter_rules():
        path = rule.rule.removeprefix(API_PREFIX) if rule.rule.startswith(API_PREFIX + "/") else rule.rule
        routes.update((method, path) for method in rule.methods - {"HEAD", "OPTIONS"})
    return routes


def resolve(rule, ids):
    """The concrete URL for a rule: each placeholder becomes the matching row of the world."""

    def value(match):
        name = match.group(1)
        if name == "template_id":
            name = next(ids_key for prefix, ids_key in TEMPLATE_KINDS.items() if rule.startswith(prefix))
        if name == "filename":
            return "no-such-file.txt"
        if name == "path":
            return "counter"
        return str(ids[name])

    path = re.sub(r"<(?:[^:>]+:)?(\w+)>", value, rule)
    return path if path.startswith(("/static/", "/console")) else API_PREFIX + path


@pytest.fixture(scope="module")
def world(database_template, tmp_path_factory):
    app, url = open_world_app(database_template, tmp_path_factory)
    console_dist = tmp_path_factory.mktemp("console-dist")
    (console_dist / "index.html").write_text("<!doctype html>", encoding="utf-8")
    app.config["CONSOLE_DIST"] = str(console_dist)
    yield build_world(app, url)
    close_world_app(app, url)


def call(world, actor, method, rule):
    key = (method, rule)
    url = resolve(rule, world.ids)
    headers = {}
    token = world.tokens[actor]
    if token:
        headers["Authorization"] = f"Bearer {token}"
    query = {name: fill_ids(value, world.ids) for name, value in QUERIES.get(key, {}).items()}
    kwargs = {"headers": headers, "query_string": query}
    if method in ("POST", "PATCH", "PUT"):
        body = fill_ids(BODIES.get(key, {}), world.ids)
        if body is not None:
            kwargs["json"] = body
    response = world.api.client.open(url, method=method, **kwargs)
    # Read the body and close it: the console's routes answer a file when console/dist is built.
    response.get_data()
    response.close()
    if key == ("POST", "/auth/logout") and response.status_code == 204:
        _log_in_again(world, actor)
    return response


def _log_in_again(world, actor):
    """Logout revokes the caller's tokens: the world's callers carry on with fresh ones."""
    if actor.startswith("member_"):
        body = world.api.post("/auth/wechat/login", json={"code": actor.replace("_", "-", 1)}).json
    else:
        body = world.api.post("/auth/staff/login", json={"username": actor, "password": PASSWORD}).json
    world.tokens[actor] = body["token"]


def _mismatch(expected, response):
    """Why ``response`` does not match the expected outcome, or None."""
    status = response.status_code
    body = response.get_json(silent=True) if response.is_json else None
    code = (body or {}).get("error", {}).get("code") if isinstance(body, dict) else None
    if expected == OK:
        return f"refused with {status} {code}" if status in (401, 403) else None
    if expected == R:
        return None if status == 200 else f"read answered {status} {code}"
    if status != expected:
        return f"expected {expected}, got {status} {code}"
    if expected == 401 and code not in ("missing_token", None):
        return f"401 with code {code}"
    if expected == 403 and code not in ("forbidden", "store_forbidden"):
        return f"403 with code {code}"
    if expected == 404 and not (code or "").endswith("_not_found"):
        return f"404 with code {code}"
    return None


def test_every_route_has_an_entry(world):
    routes = url_map_routes(world.app)
    assert sorted(routes - set(MATRIX)) == [], "routes without an access-matrix entry"
    assert sorted(set(MATRIX) - routes) == [], "access-matrix entries without a route"
    assert set(QUERIES) | set(BODIES) <= set(MATRIX), "queries or bodies for routes that do not exist"


def test_every_caller_gets_the_expected_outcome_on_every_route(world):
    """One pass over the whole matrix (one data set, one report listing every mismatch)."""
    failures = []
    for (method, rule), who in MATRIX.items():
        for actor, expected in zip(ACTORS, who.expected, strict=False):
            problem = _mismatch(expected, call(world, actor, method, rule))
            if problem:
                failures.append(f"{method} {rule} ({who.label}) as {actor}: {problem}")
    assert not failures, f"{len(failures)} access-matrix mismatches:\n  " + "\n  ".join(failures)


def _ids(world, actor, path, key="items", **query):
    response = world.api.get(path, world.tokens[actor], query_string=query)
    assert response.status_code == 200, (actor, path, response.get_json())
    return {item["id"] for item in response.json[key]}


def test_lists_show_only_what_the_caller_may_see(world):
    ids = world.ids
    # Member B's lists hold none of A's rows (A's own lists do hold them: the probe is real).
    for path, own_id in [
        ("/me/vehicles", "vehicle_id"),
        ("/me/bookings", "booking_id"),
        ("/me/coupons", "coupon_id"),
        ("/me/work-orders", "work_order_id"),
    ]:
        assert ids[own_id] in _ids(world, "member_a", path), path
        assert ids[own_id] not in _ids(world, "member_b", path), path
    assert ids["card_id"] in _ids(world, "member_a", "/me/cards", key="package_cards")
    assert _ids(world, "member_b", "/me/cards", key="package_cards") == set()
    for path in ("/me/wallet/entries", "/me/points/entries"):
        assert not _ids(world, "member_a", path) & _ids(world, "member_b", path), path
    # Unfiltered counter lists: the cashier of store 2 sees store 2's rows, the cashier of store 1 does not.
    day = {"date": "2026-12-01"}
    for path, own_id, query in [("/work-orders", "work_order_id", {}), ("/bookings", "booking_id", day)]:
        assert ids[own_id] in _ids(world, "cashier2", path, **query), path
        assert ids[own_id] not in _ids(world, "cashier", path, **query), path

    def call_list(actor):  # open or already closed by an earlier probe
        return _ids(world, actor, "/follow-ups", status="open") | _ids(world, actor, "/follow-ups", status="done")

    assert ids["follow_up_id"] in call_list("cashier2")
    assert ids["follow_up_id"] not in call_list("cashier")


def test_the_dev_payment_confirmation_is_missing_outside_development(world):
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": world.url, "DEV_ENDPOINTS": False})
    try:
        client = app.test_client()
        url = resolve("/dev/payments/<out_trade_no>/confirm", world.ids)
        for actor in ACTORS:
            token = world.tokens[actor]
            response = client.post(url, headers={"Authorization": f"Bearer {token}"} if token else {})
            assert response.status_code == 404, (actor, response.get_json())
    finally:
        with app.app_context():
            db.engine.dispose()


def test_bodies_cannot_name_another_members_rows(world):
    """Ids inside bodies are checked like ids in paths: B cannot book A's car, claim A's plate, or pay
    with A's coupon; the counter cannot settle B's order with A's coupon or package card."""
    api, ids, tokens = world.api, world.ids, world.tokens
    member_b, cashier2 = tokens["member_b"], tokens["cashier2"]
    booking = api.post(
        "/me/bookings",
        member_b,
        json={
            "store_id": ids["store_2"],
            "vehicle_id": ids["vehicle_id"],
            "service_item_id": ids["service_item_id"],
            "start": RESCHEDULE_START.isoformat(),
        },
    )
    assert (booking.status_code, booking.json["error"]["code"]) == (404, "vehicle_not_found")
    plate = api.post("/me/vehicles", member_b, json={"plate": PLATE_A})
    assert plate.status_code == 409, plate.json
    # B's own order at store 2, completed, so that only the foreign instruments stand in the way.
    order = api.post(
        "/work-orders",
        cashier2,
        json={
            "store_id": ids["store_2"],
            "plate": PLATE_B,
            "lines": [{"service_item_id": ids["service_item_id"], "quantity": 1}],
        },
    )
    assert order.status_code == 201 and order.json["member_id"] == ids["member_b"], order.json
    order_id = order.json["id"]
    done = api.post(f"/work-orders/{order_id}/status", cashier2, json={"status": "completed"})
    assert done.status_code == 200, done.json
    foreign_coupon = [{"type": "coupon", "member_coupon_id": ids["coupon_id"]}]
    foreign_card = [{"type": "package_card", "card_id": ids["card_id"], "service_item_id": ids["service_item_id"]}]
    paid = api.post(f"/me/work-orders/{order_id}/pay", member_b, json={"tenders": foreign_coupon})
    assert (paid.status_code, paid.json["error"]["code"]) == (404, "coupon_not_found")
    for tenders, code in [(foreign_coupon, "coupon_not_found"), (foreign_card, "card_not_found")]:
        for action in ("quote", "settle"):
            response = api.post(f"/work-orders/{order_id}/{action}", cashier2, json={"tenders": tenders})
            assert (response.status_code, response.json["error"]["code"]) == (404, code), (action, response.json)
    coupon = api.get(f"/me/coupons/{ids['coupon_id']}", tokens["member_a"])
    assert coupon.status_code == 200 and coupon.json["status"] == "unused"


def test_only_access_tokens_open_the_api(world):
    """The member-card QR token is signed with the same key but is not an access token."""
    from app.members.services import issue_member_card_token

    with world.app.app_context():
        card_token = issue_member_card_token(member_id=world.ids["member_a"])
    for token in (card_token, world.tokens["member_a"] + "x", "not-a-token"):
        response = world.api.get("/me", token)
        assert (response.status_code, response.json["error"]["code"]) == (401, "invalid_token")
