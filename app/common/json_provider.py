"""JSON responses serialised by orjson.

Writing a response's JSON with the standard library costs a list page of the counter's lookup more
Python than its authentication; orjson writes the same bytes several times faster. The answers stay
those of Flask's provider (``DefaultJSONProvider``, with ``ensure_ascii`` and ``sort_keys`` off):
compact, UTF-8, a final newline, dates and dataclasses through Flask's own ``default``. Whatever
orjson refuses (an integer past 64 bits, a lone surrogate, nesting past its limit) is written by
the standard library as before, and so is every response in debug mode (indented). The one
difference left: a float below 1e-4 is written ``1e-7`` rather than ``1e-07``, the same number.
"""

import orjson
from flask.json.provider import DefaultJSONProvider

# Integer keys become strings as the standard library writes them; dates and dataclasses go to
# Flask's ``default`` (an HTTP date, ``asdict``) rather than orjson's own formats.
_OPTIONS = (
    orjson.OPT_NON_STR_KEYS
    | orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_APPEND_NEWLINE
)


class ResponseJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider whose responses orjson writes (``json.dumps``/``loads`` unchanged)."""

    ensure_ascii = False  # plates and names stay readable Chinese in responses
    sort_keys = False

    def response(self, *args, **kwargs):
        if (self.compact is None and self._app.debug) or self.compact is False:
            return super().response(*args, **kwargs)
        document = self._prepare_response_obj(args, kwargs)
        try:
            body = orjson.dumps(document, default=self.default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().response(*args, **kwargs)
        return self._app.response_class(body, mimetype=self.mimetype)
