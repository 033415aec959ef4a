"""The staff console's built files (console/dist), served at /console/ with a strict policy.

The console is a single-page application: any path under /console/ that is not a built file
answers index.html, so a reload on /console/counter keeps working (history-mode routing).
Production may serve console/dist from any static server instead (docs/operations.md).
"""

from pathlib import Path

from flask import Blueprint, Response, current_app, send_from_directory

from app.common.errors import AppError

# Scripts, styles, fonts and images come only from the console itself; the API is same-origin.
# Element Plus positions popovers through the style property (CSSOM), which this policy allows.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

console_site = Blueprint("console_site", __name__)


def init_app(app):
    app.config.setdefault("CONSOLE_DIST", str(Path(app.root_path).parent / "console" / "dist"))
    app.register_blueprint(console_site)


def _dist():
    return Path(current_app.config["CONSOLE_DIST"])


@console_site.get("/console")
@console_site.get("/console/")
@console_site.get("/console/<path:path>")
def console_file(path="index.html"):
    dist = _dist()
    if not (dist / "index.html").is_file():
        raise AppError(
            "console_not_built",
            "The staff console is not built: run ./scripts/serve-demo, or npm ci && npm run build in console/.",
            status=404,
        )
    is_file = path != "index.html" and (dist / path).is_file() and ".." not in Path(path).parts
    if is_file:
        response = send_from_directory(dist, path, max_age=0)
    else:
        # index.html is small and read whole, so no file stays open behind the response.
        response = Response((dist / "index.html").read_bytes(), mimetype="text/html")
    if is_file and path.startswith("assets/"):
        # Built assets carry a content hash in their name: they never change under that name.
        response.cache_control.max_age = 365 * 24 * 3600
        response.cache_control.immutable = True
        response.cache_control.public = True
    else:
        response.cache_control.no_cache = True
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    return response
