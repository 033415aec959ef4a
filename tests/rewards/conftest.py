"""Exchange fixtures: a catalog of one service item, one part with stock at store 1, a coupon template."""

import pytest

from app.catalog.services import create_part
from app.extensions import db
from tests.factories import make_template, service_catalog


@pytest.fixture
def catalog(app, stores):
    items = service_catalog(app)
    with app.app_context():
        part_id = create_part(
            data={"name": "雨刮片", "sku": "WIPER-1", "price_fen": 8000, "stock": 3, "store_id": stores[0]}
        ).id
        db.session.commit()
    template_id = make_template(app, claimable=False)
    return {"wash": items["wash"], "part": part_id, "template": template_id}
