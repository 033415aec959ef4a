"""Work orders (工单): opened by plate at the counter, priced with the member's tier, settled with
combined tenders, refunded by reversing every ledger they touched."""


def init_app(app):
    from app.workorders import member_pay, stats

    member_pay.register()
    stats.register()
