"""Segments: JSON rules compiled into ONE SQL condition on members (never a Python loop per member).

Rules are a group ``{"all": [...]}`` or ``{"any": [...]}`` of conditions ``{"field", "op", "value"}``
and nested groups (``all`` of nothing is everyone, ``any`` of nothing is no one). Unknown fields,
operators or ill-typed values are refused (422 ``invalid_segment_rules`` naming the path).

Operators: ``eq``/``in`` match a value (a missing value never matches); ``ne``/``not_in`` are their
exact negation (so they include members with no value); ``gt``/``gte``/``lt``/``lte``/``between``
compare numbers (a missing value never matches).

Fields (see ``FIELDS``): tier, tier_rank, tags, lifecycle, value_class, last_visit, visit_count,
total_paid, average_ticket, birthday_month, vehicle_age (completed years since purchase, any of the
member's cars), balance (stored value, fen), points, unused_coupons (unused and unexpired), store
(visited that store, or registered there); the profile facts staff keep (app/members/profile.py):
gender, birth_year (a number), region (exact text, trimmed), occupation, car_use,
acquisition_channel -- a member without the fact never matches eq/in and always matches ne/not_in.

How: column conditions on the member row, and for everything kept elsewhere (tags, cars, wallet,
points, coupons, visits) ``EXISTS`` / ``NOT EXISTS`` subqueries correlated on the member id. Both
databases turn those into semi- and anti-joins, so the planner may start from whichever side is
smallest (a few thousand coupon holders rather than a million members), and where one sits under an
OR or NOT it probes the other table's member index per row or hashes it once, whichever is cheaper.
(An uncorrelated ``IN`` there becomes a hashed set only when it fits in PostgreSQL's work_mem; a
larger one -- every visit to a busy store -- is rescanned for each member, which at a million
members never finishes.) A figure kept in another table counts as 0 for members without a row there
(no wallet: balance 0), hence ``NOT EXISTS`` of a row failing the comparison when 0 satisfies it.
Rules mixing member columns, rows members must have, and look-ups per member select candidates
first (see ``compile_rules``). A tier rank names its tiers by id, looked up when compiling (as the
merchant's timezone is), so the planner can tell from the tier column how many members hold them.
Within a group the member's own columns come first, so an OR they decide skips the other tables.

Each field's condition is built in app/marketing/segment_fields.py; this module checks the tree,
compiles it and runs it (preview, saved segments).

Reading other domains' tables: the tag, tier, vehicle, wallet, points and coupon conditions are
subqueries on those domains' tables inside this one read-only query. That is the
accepted exception to "domains do not read each other's tables": a segment must be one SQL query,
and no service function can be composed into it. Nothing here writes to those tables.
"""

from sqlalchemy import and_, false, func, inspect, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlalchemy.sql import operators, visitors
from sqlalchemy.sql.elements import BooleanClauseList, Grouping, UnaryExpression
from sqlalchemy.sql.selectable import Exists, ScalarSelect, Select

from app.common import clock
from app.common.db import plan_for_data_in_memory
from app.common.errors import Conflict, NotFound, Unprocessable
from app.common.pagination import paginate
from app.extensions import db
from app.marketing.models import Segment
from app.marketing.segment_fields import FIELDS, RuleError
from app.members.models import Member
from app.members.tiers.models import Tier

MAX_DEPTH = 5
MAX_CONDITIONS = 50
SAMPLE_SIZE = 10


# -- compiling -----------------------------------------------------------------------------------


class _Scope:
    """What conditions are compiled against: the moment, the members table (or an alias of it), and
    the tiers of each rank condition, looked up once per compilation."""

    def __init__(self, now, member=Member, tiers=None):
        self.now, self.member = now, member
        self._tiers = {} if tiers is None else tiers

    def on(self, member):
        """The same moment and tiers, against another alias of the members table."""
        return _Scope(self.now, member, self._tiers)

    def tier_ids(self, rank_condition):
        key = str(rank_condition.compile(compile_kwargs={"literal_binds": True}))
        if key not in self._tiers:
            self._tiers[key] = db.session.scalars(select(Tier.id).where(rank_condition).order_by(Tier.id)).all()
        return self._tiers[key]


def _ungrouped(clause):
    while isinstance(clause, Grouping):
        clause = clause.element
    return clause


def _reads_other_tables(clause):
    return any(isinstance(element, (Exists, ScalarSelect, Select)) for element in visitors.iterate(clause))


def _conjuncts(clause):
    """The terms of a condition that must all hold (nested ANDs flattened)."""
    clause = _ungrouped(clause)
    if isinstance(clause, BooleanClauseList) and clause.operator is operators.and_:
        return [term for inner in clause.clauses for term in _conjuncts(inner)]
    return [clause]


def _joinable(term):
    """A term the planner joins on rather than evaluates member by member: a condition on member
    columns only, or an EXISTS / NOT EXISTS standing alone (a semi- or anti-join)."""
    term = _ungrouped(term)
    if isinstance(term, UnaryExpression) and term.operator is operators.inv:
        term = _ungrouped(term.element)
    return isinstance(term, Exists) or not _reads_other_tables(term)


def _compile_node(node, path, depth, counter, scope):
    if not isinstance(node, dict):
        raise RuleError(path, "expected a group or a condition object")
    if "field" in node or "op" in node:
        return _compile_condition(node, path, counter, scope)
    if len(node) != 1 or next(iter(node)) not in ("all", "any"):
        raise RuleError(path, 'a group has exactly one key, "all" or "any"')
    if depth > MAX_DEPTH:
        raise RuleError(path, f"groups nest at most {MAX_DEPTH} deep")
    kind, children = next(iter(node.items()))
    if not isinstance(children, list):
        raise RuleError(f"{path}.{kind}", "expected a list")
    parts = [
        _compile_node(child, f"{path}.{kind}[{index}]", depth + 1, counter, scope)
        for index, child in enumerate(children)
    ]
    # Member columns first (a stable sort; same answer): PostgreSQL evaluates an OR's terms in the
    # order written, and the member's own column often decides it before another table is read.
    parts.sort(key=_reads_other_tables)
    if kind == "all":
        return and_(true(), *parts)
    return or_(false(), *parts)


def _compile_condition(node, path, counter, scope):
    counter[0] += 1
    if counter[0] > MAX_CONDITIONS:
        raise RuleError(path, f"at most {MAX_CONDITIONS} conditions")
    extra = set(node) - {"field", "op", "value"}
    if extra:
        raise RuleError(path, f"unknown keys: {', '.join(sorted(extra))}")
    field, op = node.get("field"), node.get("op")
    if field not in FIELDS:
        raise RuleError(f"{path}.field", f"unknown field {field!r}; known: {', '.join(FIELDS)}")
    ops, build = FIELDS[field]
    if op not in ops:
        raise RuleError(f"{path}.op", f"unknown operator {op!r} for {field}; known: {', '.join(ops)}")
    if "value" not in node:
        raise RuleError(f"{path}.value", "a condition needs a value")
    try:
        return build(op, node["value"], scope)
    except RuleError as error:
        raise RuleError(f"{path}.{error.path}", error.message) from None


def compile_rules(rules, *, now=None, candidates_first=True):
    """The SQL condition selecting the members of ``rules`` (merged-away members never match).

    With ``candidates_first`` (for counting or listing the whole segment), when the rules combine
    conditions on member columns, other tables the members must have rows in (a wallet, a car, a
    coupon: EXISTS) and look-ups per member (another table under OR or NOT, a count), the first two
    select candidates in a subquery and the look-ups run on the candidates only. In one flat query
    a condition is applied where its table is read: the look-ups would run on every member passing
    the column conditions, so the planner joins the big tables first and reads the members last,
    without their columns to narrow with (a million-member preview: 1.3 s, against 0.3 s when the
    candidates come first). Without it the condition stays flat, which suits a walk through the
    members that stops at the first few matches."""
    return _compile_rules(rules, _Scope(now or clock.now()), candidates_first)


def _compile_rules(rules, scope, candidates_first):
    condition, joinable = _split(rules, scope, candidates_first)
    if joinable is None:
        return condition
    terms = _conjuncts(condition)
    candidate = aliased(Member, name="candidate")
    # The same rules against the alias give the same terms in the same order.
    candidate_terms = _conjuncts(_compile_node(rules, "rules", 1, [0], scope.on(candidate)))
    candidates = select(candidate.id).where(
        candidate.merged_into_id.is_(None),
        *(term for term, is_joinable in zip(candidate_terms, joinable, strict=False) if is_joinable),
    )
    return and_(
        Member.merged_into_id.is_(None),
        Member.id.in_(candidates),
        *(term for term, is_joinable in zip(terms, joinable, strict=False) if not is_joinable),
    )


def _split(rules, scope, candidates_first):
    """(the rules' condition on the members, which of its terms select candidates -- or None when
    the condition stays flat, see ``compile_rules``)."""
    try:
        condition = _compile_node(rules, "rules", 1, [0], scope)
    except RuleError as error:
        raise Unprocessable(
            "invalid_segment_rules",
            f"{error.path}: {error.message}",
            details={"path": error.path, "reason": error.message},
        ) from None
    terms = _conjuncts(condition)
    joinable = [_joinable(term) for term in terms]
    joins = any(is_joinable and _reads_other_tables(term) for term, is_joinable in zip(terms, joinable, strict=False))
    columns = any(not _reads_other_tables(term) for term in terms)
    if not (candidates_first and joins and columns) or all(joinable):
        # Without member columns to start from, the planner already joins first and reads each
        # remaining member once; without joins, the column conditions filter before the look-ups.
        return and_(Member.merged_into_id.is_(None), condition), None
    return condition, joinable


def _selected_ids(rules, scope):
    """SELECT of the ids of every member the rules select (the same members as ``compile_rules``).

    Where candidates come first, they are kept aside (a materialised CTE) with the few member
    columns the rules read, and the remaining look-ups' terms are checked on that copy: those
    columns come from wherever the candidates were read (an index, for the usual rules), so no
    candidate's row is fetched again by id (at a million members, refetching ten thousand
    candidates' rows was about a third of a preview)."""
    condition, joinable = _split(rules, scope, True)
    if joinable is None:
        return select(Member.id).where(condition)
    candidate = aliased(Member, name="candidate")
    candidate_terms = _conjuncts(_compile_node(rules, "rules", 1, [0], scope.on(candidate)))
    # The member columns any term reads (the candidates' own terms read them already; the copy of
    # the rules compiled against the kept candidates needs every one of them to be there).
    read = {"id"} | {
        element.key
        for term in candidate_terms
        for element in visitors.iterate(term)
        if _is_column_of(element, candidate)
    }
    candidates = (
        select(*(getattr(candidate, name) for name in sorted(read)))
        .where(
            candidate.merged_into_id.is_(None),
            *(term for term, is_joinable in zip(candidate_terms, joinable, strict=False) if is_joinable),
        )
        .cte("candidates")
        .prefix_with("MATERIALIZED")
    )
    kept = aliased(Member, candidates, name="kept")
    kept_terms = _conjuncts(_compile_node(rules, "rules", 1, [0], scope.on(kept)))
    return select(kept.id).where(
        *(term for term, is_joinable in zip(kept_terms, joinable, strict=False) if not is_joinable)
    )


def _is_column_of(element, entity):
    return getattr(element, "table", None) is not None and element.table is inspect(entity).selectable


def members_query(rules, *, now=None):
    return select(Member).where(compile_rules(rules, now=now))


def preview_rules(rules, *, now=None):
    """{"count", "sample"}: how many members the rules select and a few of them, newest first."""
    from app.members.services import member_summaries

    # One pass: the members selected (candidates first) are kept aside once, then counted and their
    # newest few taken from them, so the sample costs a sort of the selected ids. A second query
    # walking the members newest first until ten match depends on where matches sit: at a million
    # members about 7,000 buffers for this benchmark's segment, at 100,000 a hash of every holder
    # of an unused coupon.
    # With the default random_page_cost the plan of a many-condition segment swung between probing
    # the visits per candidate and hashing every visit to a store (0.3 s, 0.6 s, once 5.8 s).
    plan_for_data_in_memory(db.session)
    matched = _selected_ids(rules, _Scope(now or clock.now())).cte("matched").prefix_with("MATERIALIZED")
    newest = db.session.execute(
        select(matched.c.id, func.count().over()).order_by(matched.c.id.desc()).limit(SAMPLE_SIZE)
    ).all()
    count = newest[0][1] if newest else 0
    ids = [member_id for member_id, _count in newest]
    sample = (
        db.session.scalars(select(Member).where(Member.id.in_(ids)).order_by(Member.id.desc())).all() if ids else []
    )
    summaries = member_summaries(sample)
    return {"count": count, "sample": [summaries[member.id] for member in sample]}


def create_segment(*, name, rules, staff_id=None) -> Segment:
    """Save a segment; its rules must compile, and names are unique."""
    compile_rules(rules)
    segment = Segment(name=name.strip(), rules=rules, created_by_staff_id=staff_id)
    db.session.add(segment)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict("segment_exists", "A segment with this name exists.") from None
    return segment


def get_segment(segment_id) -> Segment:
    segment = db.session.get(Segment, segment_id)
    if segment is None:
        raise NotFound("segment_not_found", "No such segment.")
    return segment


def list_segments(*, page=1, per_page=20):
    return paginate(select(Segment).order_by(Segment.id.desc()), page, per_page)


def preview_segment(*, segment_id, now=None):
    return preview_rules(get_segment(segment_id).rules, now=now)
