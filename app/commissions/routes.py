from flask.views import MethodView
from flask_smorest import Blueprint

from app.commissions import services
from app.commissions.schemas import (
    CommissionQuery,
    CommissionReport,
    CommissionRuleCreate,
    CommissionRuleList,
    CommissionRuleRead,
    CommissionRuleUpdate,
    MyCommissionQuery,
)
from app.common.auth import STAFF_ROLES, auth_required, current_actor, owner_only
from app.common.csv_export import csv_response
from app.common.transaction import unit_of_work
from app.merchant.services import merchant_timezone
from app.stats.periods import make_period

blp = Blueprint("commissions", __name__, description="Commission (提成): rules, and what each person earned")

CSV_DOC = {
    "schema": {"type": "string"},
    "content_type": "text/csv",
    "description": "JSON; with ?format=csv, UTF-8 CSV with a byte-order mark (every entry of the period).",
}
CSV_HEADER = ["id", "created_at", "staff_id", "store_id", "work_order_id", "line_id", "kind", "basis_fen",
              "share_percent", "amount_fen"]  # fmt: skip
MAX_DAYS = 366


def _period(query):
    return make_period(first_day=query["from_"], last_day=query["to"], tz_name=merchant_timezone(), max_days=MAX_DAYS)


@blp.route("/commission-rules")
class CommissionRules(MethodView):
    @owner_only
    @blp.response(200, CommissionRuleList)
    def get(self):
        """Every commission rule"""
        return services.list_rules()

    @owner_only
    @unit_of_work()
    @blp.arguments(CommissionRuleCreate)
    @blp.response(201, CommissionRuleRead)
    def post(self, body):
        """A rule for a service item, a part or a line category: a percent of the line or a fixed amount per unit"""
        return services.create_rule(actor=current_actor(), data=body)


@blp.route("/commission-rules/<int:rule_id>")
class CommissionRule(MethodView):
    @owner_only
    @blp.response(200, CommissionRuleRead)
    def get(self, rule_id):
        """One commission rule"""
        return services.get_rule(rule_id=rule_id)

    @owner_only
    @unit_of_work()
    @blp.arguments(CommissionRuleUpdate)
    @blp.response(200, CommissionRuleRead)
    def patch(self, changes, rule_id):
        """Change a rule's method, rate or whether it applies (audited)"""
        return services.update_rule(actor=current_actor(), rule_id=rule_id, changes=changes)


@blp.route("/commissions")
@owner_only
@blp.arguments(CommissionQuery, location="query")
@blp.response(200, CommissionReport)
@blp.alt_response(200, success=True, **CSV_DOC)
def commission_report(query):
    """Commission entries of a period with each person's earned, reversed and net totals"""
    period = _period(query)
    filters = {"start": period.start, "end": period.end, "staff_id": query["staff_id"], "store_id": query["store_id"]}
    if query["format"] == "csv":
        rows = [[getattr(entry, name) for name in CSV_HEADER] for entry in services.all_entries(**filters)]
        return csv_response(CSV_HEADER, rows, f"commissions-{period.first_day}-{period.last_day}.csv")
    return services.commission_report(**filters, page=query["page"], per_page=query["per_page"])


@blp.route("/staff/me/commissions")
@auth_required(*STAFF_ROLES)
@blp.arguments(MyCommissionQuery, location="query")
@blp.response(200, CommissionReport)
def my_commissions(query):
    """The caller's own commission entries and total over a period (read-only)"""
    period = _period(query)
    return services.commission_report(
        start=period.start, end=period.end, staff_id=current_actor().id, page=query["page"], per_page=query["per_page"]
    )
