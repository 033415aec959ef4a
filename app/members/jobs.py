"""Scheduled work of the members (registered when the app factory imports this module)."""

from app.common.jobs import job
from app.members.counter_lookup import fold_plate_trigram_counts
from app.members.metrics import recompute_member_metrics
from app.members.tiers.rules import review_tiers


@job("tier_review", hour=1, minute=30)
def tier_review(*, today, now):
    """Nightly: members re-qualify for their tier by rolling spend."""
    return review_tiers(now=now)


@job("member_metrics", hour=2)
def member_metrics(*, today, now):
    """Nightly: every member's lifecycle and value class, which segments and the call list read."""
    return recompute_member_metrics(now=now)


@job("plate_trigram_counts", hour=3, minute=30)
def plate_trigram_counts(*, today, now):
    """Nightly: each plate trigram's count rows folded into one, for the counter's lookup."""
    return {"trigrams_folded": fold_plate_trigram_counts()}
