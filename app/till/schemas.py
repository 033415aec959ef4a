from app.common.schemas import BodySchema, Fen, PageQuery, QuerySchema, ResponseSchema, fields, page_schema, validate
from app.till.figures import TENDERS
from app.wallet.models import PAID_VIA


def _by(keys, description):
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(keys)),
        values=fields.Integer(),
        metadata={"description": description},
    )


class TillQuery(QuerySchema):
    date = fields.Date(load_default=None, metadata={"description": "Merchant-local day (YYYY-MM-DD); default today."})


class ShiftClose(BodySchema):
    counted_cash_fen = Fen(required=True, metadata={"description": "The cash counted in the drawer (实点现金)."})
    opening_float_fen = Fen(load_default=0, metadata={"description": "The float the shift started with."})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=200))


class ShiftQuery(PageQuery):
    from_ = fields.Date(data_key="from", load_default=None, metadata={"description": "First merchant-local day."})
    to = fields.Date(load_default=None, metadata={"description": "Last merchant-local day, inclusive; default today."})


class TopupFigures(ResponseSchema):
    count = fields.Integer()
    principal_fen = _by(PAID_VIA, "Principal taken in, by paid_via.")
    bonus_fen = fields.Integer()


class CardSaleFigures(ResponseSchema):
    count = fields.Integer()
    by_paid_via_fen = _by(PAID_VIA, "Package-card and period-card (月卡/年卡) sales, by paid_via.")


class TillFigures(ResponseSchema):
    work_orders = fields.Integer()
    taken_fen = _by(TENDERS, "Tenders of the orders settled, by type (wechat_mini_program: paid in the mini-program).")
    points_spent = fields.Integer()
    refunded_fen = _by(TENDERS, "Tenders given back by the orders refunded, by type.")
    points_returned = fields.Integer()
    topups = fields.Nested(TopupFigures)
    principal_refunds_fen = _by(PAID_VIA, "Unused stored-value principal paid back, by paid_via.")
    card_sales = fields.Nested(CardSaleFigures)
    cash_expected_fen = fields.Integer()


class CashierTill(TillFigures):
    staff_id = fields.Integer(allow_none=True, metadata={"description": "null: the mini-program and refunds."})
    username = fields.String(allow_none=True)


class ShiftRead(ResponseSchema):
    id = fields.Integer()
    store_id = fields.Integer()
    staff_id = fields.Integer()
    username = fields.String(allow_none=True)
    business_date = fields.Date()
    started_at = fields.DateTime()
    closed_at = fields.DateTime()
    opening_float_fen = fields.Integer()
    expected_cash_fen = fields.Integer()
    counted_cash_fen = fields.Integer()
    difference_fen = fields.Integer(metadata={"description": "counted − expected (差额)."})
    note = fields.String(allow_none=True)
    figures = fields.Nested(TillFigures)


class TillRead(ResponseSchema):
    store_id = fields.Integer()
    date = fields.Date()
    timezone = fields.String()
    start = fields.DateTime()
    end = fields.DateTime()
    store = fields.Nested(TillFigures, allow_none=True, metadata={"description": "The owner's only."})
    cashiers = fields.List(fields.Nested(CashierTill))
    shifts = fields.List(fields.Nested(ShiftRead))
    shift_difference_fen = fields.Integer()


ShiftPage = page_schema(ShiftRead, name="ShiftPage")
