"""QR images served as PNG responses (member card, coupon codes, ...)."""

import base64
import io

import qrcode
from flask import send_file

# For @blp.doc(responses=PNG_RESPONSE) on endpoints that answer with an image.
PNG_RESPONSE = {
    "200": {"description": "PNG image", "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}}
}


def qr_png(text) -> bytes:
    """The PNG bytes of a QR code of ``text``."""
    buffer = io.BytesIO()
    qrcode.make(text).save(buffer, format="PNG")
    return buffer.getvalue()


def png_response(text, *, cache_seconds=None):
    """A PNG QR code of ``text``; not cached unless ``cache_seconds`` is given."""
    response = send_file(io.BytesIO(qr_png(text)), mimetype="image/png")
    response.headers["Cache-Control"] = f"private, max-age={cache_seconds}" if cache_seconds else "no-store"
    return response


def qr_data_url(text) -> str:
    """A QR code of ``text`` as a data: URL (a PNG), for embedding in a JSON document."""
    return "data:image/png;base64," + base64.b64encode(qr_png(text)).decode("ascii")
