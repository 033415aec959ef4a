import gc

from app import create_app
from app.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as error:
    # One readable line for gunicorn's and flask's output instead of a traceback.
    raise SystemExit(f"Pitstop cannot start: {error}") from None

# What start-up built (routes, schemas, the models' metadata) lives as long as the worker: out of
# the collector's sight, a full collection no longer walks all of it, a pause of about 90 ms that
# otherwise lands on some request now and then.
gc.freeze()
