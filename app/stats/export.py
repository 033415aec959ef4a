"""CSV answers of the stats endpoints (``?format=csv``).

The encoding and the formula guard are app/common/csv_export.py's. Rows are flat: the overview becomes
``section,metric,value`` rows (nested figures get dotted metric names, e.g. ``revenue`` /
``by_tender.cash``; tier counts are named by the tier: ``members`` / ``by_tier.金卡``); a series is
``date,value``; the top members one row per member. Text that a spreadsheet would run as a formula
(a member's nickname starting with ``=``, ``+``, ``-`` or ``@``) is prefixed with an apostrophe.
"""

from app.common.csv_export import csv_response

NO_TIER = "none"


def _label(item, index):
    for key in ("id", "member_id", "tier_id"):
        if item.get(key) is not None:
            return str(item[key])
    return str(index)


def _flatten(prefix, value):
    """(metric, value) pairs of a dumped figure: dicts by key, lists by each item's id."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(f"{prefix}.{key}" if prefix else str(key), inner)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield from _flatten(f"{prefix}.{_label(item, index)}", item)
            else:
                yield f"{prefix}.{index}", item
    else:
        yield prefix, value


def overview_rows(dumped):
    """``section,metric,value`` rows of a dumped overview; the period's own fields form "period"."""
    rows = []
    for section, value in dumped.items():
        if not isinstance(value, dict):
            rows.append(("period", section, value))
            continue
        for key, inner in value.items():
            if section == "members" and key == "by_tier":
                rows.extend(("members", f"by_tier.{tier['name'] or NO_TIER}", tier["members"]) for tier in inner)
            else:
                rows.extend((section, metric, figure) for metric, figure in _flatten(key, inner))
    return rows


def overview_csv(dumped):
    return csv_response(
        ("section", "metric", "value"), overview_rows(dumped), f"stats-overview-{dumped['from']}-{dumped['to']}.csv"
    )


def timeseries_csv(dumped):
    return csv_response(
        ("date", dumped["metric"]),
        [(point["date"], point["value"]) for point in dumped["points"]],
        f"stats-{dumped['metric']}-{dumped['from']}-{dumped['to']}.csv",
    )


TOP_MEMBER_COLUMNS = ("rank", "member_id", "nickname", "phone", "tier", "work_orders", "paid_fen", "total_fen")


def top_members_csv(dumped):
    return csv_response(
        TOP_MEMBER_COLUMNS,
        [[item[column] for column in TOP_MEMBER_COLUMNS] for item in dumped["items"]],
        f"stats-top-members-{dumped['from']}-{dumped['to']}.csv",
    )


def satisfaction_csv(dumped):
    """``section,key,count,score_total,average`` rows: overall, each store, technician and month."""
    rows = [
        ("overall", "all", dumped["overall"]["count"], dumped["overall"]["score_total"], dumped["overall"]["average"])
    ]
    for section, key in (("by_store", "name"), ("by_technician", "username"), ("by_month", "month")):
        rows.extend(
            (section, item[key], item["count"], item["score_total"], item["average"]) for item in dumped[section]
        )
    return csv_response(
        ("section", "key", "count", "score_total", "average"),
        rows,
        f"stats-satisfaction-{dumped['from']}-{dumped['to']}.csv",
    )


def member_profiles_csv(dumped):
    rows = [(fact, item["value"], item["count"]) for fact, items in dumped["facts"].items() for item in items]
    return csv_response(("fact", "value", "members"), rows, "stats-member-profiles.csv")
