"""Marketing fixtures: members seeded straight into the database, jobs run for a chosen day.

The merchant's timezone is Asia/Shanghai (+08:00). ``Seeder`` writes members (and their cars,
tiers, grants) as rows, because the jobs under test read the rows, not the requests that made them.
"""

import pytest

from app.common.jobs import run_job
from tests.marketing.helpers import (  # noqa: F401  (also importable from here by older tests)
    SHANGHAI,
    Seeder,
    local,
    member_ids,
    messages,
    sent_openids,
)


@pytest.fixture
def seed(app):
    return Seeder(app)


@pytest.fixture
def run(app):
    """run(job_name, day) -> the job's result, as `flask jobs run NAME --date` would."""

    def runner(name, day):
        with app.app_context():
            return run_job(name, day=day)

    return runner
