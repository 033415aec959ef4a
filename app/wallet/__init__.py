"""Stored value (储值), points (积分) and top-up plans.

``init_app`` plugs the wallet into the rest of the service: the counter's member summary shows
balances and points, and a paid WeChat order of purpose "topup" credits the member's wallet.
"""


def init_app(app):
    from app.members.services import register_summary_columns
    from app.payments.services import register_payment_purpose
    from app.wallet import services

    register_summary_columns(services.summary_columns)
    register_payment_purpose("topup", services.credit_topup_payment, services.topup_payment_closed)
