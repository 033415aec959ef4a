from flask.views import MethodView
from flask_smorest import Blueprint

from app.accounts import repayments, services, statements
from app.accounts.schemas import (
    AccountCreate,
    AccountPage,
    AccountQuery,
    AccountRead,
    AccountStatusBody,
    AccountUpdate,
    AgeingQuery,
    AgeingRead,
    ReceivablePage,
    ReceivableQuery,
    RepaymentCreate,
    RepaymentPage,
    RepaymentRead,
    StatementQuery,
    StatementRead,
)
from app.accounts.xlsx import XLSX_TYPE, statement_xlsx
from app.common.auth import counter_staff, current_actor, owner_only
from app.common.schemas import PageQuery
from app.common.transaction import unit_of_work

blp = Blueprint(
    "accounts",
    __name__,
    description="On account (挂账): company, fleet and insurer accounts, receivables, statements, repayments, ageing",
)

XLSX_DOC = {
    "schema": {"type": "string", "format": "binary"},
    "content_type": XLSX_TYPE,
    "description": "JSON; with ?format=xlsx, the statement as a spreadsheet.",
}


@blp.route("/accounts")
class Accounts(MethodView):
    @counter_staff
    @blp.arguments(AccountQuery, location="query")
    @blp.response(200, AccountPage)
    def get(self, query):
        """Accounts by name; with vehicle_id or member_id, those the car or member may charge to"""
        return services.list_accounts(**query)

    @owner_only
    @unit_of_work()
    @blp.arguments(AccountCreate)
    @blp.response(201, AccountRead)
    def post(self, body):
        """Open an account with its credit limit, payment terms and the cars and members allowed (audited)"""
        return services.create_account(actor=current_actor(), data=body)


@blp.route("/accounts/ageing")
@counter_staff
@blp.arguments(AgeingQuery, location="query")
@blp.response(200, AgeingRead)
def shop_ageing(query):
    """Receivables by days past their terms at the end of a merchant-local day, per account and for the shop"""
    return statements.ageing(on=query.get("on"))


@blp.route("/accounts/<int:account_id>")
class OneAccount(MethodView):
    @counter_staff
    @blp.response(200, AccountRead)
    def get(self, account_id):
        """One account with its balance, credit and allowed cars and members"""
        return services.get_account(account_id)

    @owner_only
    @unit_of_work()
    @blp.arguments(AccountUpdate)
    @blp.response(200, AccountRead)
    def patch(self, body, account_id):
        """Change an account's details, credit limit, terms or allowed cars and members (audited)"""
        reason = body.pop("reason", None)
        return services.update_account(actor=current_actor(), account_id=account_id, changes=body, reason=reason)


@blp.route("/accounts/<int:account_id>/status", methods=["POST"])
@owner_only
@unit_of_work()
@blp.arguments(AccountStatusBody)
@blp.response(200, AccountRead)
def account_status(body, account_id):
    """Suspend an account (nothing more can be charged) or make it active again (audited)"""
    return services.set_status(actor=current_actor(), account_id=account_id, **body)


@blp.route("/accounts/<int:account_id>/receivables")
@counter_staff
@blp.arguments(ReceivableQuery, location="query")
@blp.response(200, ReceivablePage)
def receivables(query, account_id):
    """The account's receivables, oldest first (status=open: those still owed)"""
    return repayments.list_receivables(account_id=account_id, **query)


@blp.route("/accounts/<int:account_id>/repayments")
class Repayments(MethodView):
    @counter_staff
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, RepaymentPage)
    def get(self, query, account_id):
        """The account's repayments (回款), newest first, with their allocations"""
        return repayments.list_repayments(account_id=account_id, **query)

    @counter_staff
    @unit_of_work(idempotent=True)
    @blp.arguments(RepaymentCreate)
    @blp.response(201, RepaymentRead)
    def post(self, body, account_id):
        """Record a repayment (回款), allocated to the receivables chosen or the oldest open; the rest stays credit"""
        return repayments.record_repayment(actor=current_actor(), account_id=account_id, **body)


@blp.route("/accounts/<int:account_id>/statement")
@counter_staff
@blp.arguments(StatementQuery, location="query")
@blp.response(200, StatementRead)
@blp.alt_response(200, success=True, **XLSX_DOC)
def account_statement(query, account_id):
    """The statement (对账单) of merchant-local days from..to: charged orders with cars, lines and amounts"""
    result = statements.statement(account_id=account_id, first_day=query["from_"], last_day=query["to"])
    if query["format"] == "xlsx":
        return statement_xlsx(result)
    return result


@blp.route("/accounts/<int:account_id>/ageing")
@counter_staff
@blp.arguments(AgeingQuery, location="query")
@blp.response(200, AgeingRead)
def account_ageing(query, account_id):
    """One account's receivables by days past their terms at the end of a merchant-local day"""
    return statements.ageing(on=query.get("on"), account_id=account_id)
