from app import create_app
from app.config import ConfigurationError

try:
    app = create_app()
except ConfigurationError as error:
    # One readable line for gunicorn's and flask's output instead of a traceback.
    raise SystemExit(f"Pitstop cannot start: {error}") from None
