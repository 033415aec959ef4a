"""Coupons (优惠券): templates of three kinds and the member coupons issued from them."""


def init_app(app):
    from app.coupons.services import summary_columns
    from app.members.services import register_summary_columns

    # The counter's member summary shows how many unused coupons a member holds.
    register_summary_columns(summary_columns)
