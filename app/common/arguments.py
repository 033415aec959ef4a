"""How the API reads a request's arguments: the parser every route's ``blp.arguments`` uses.

It keeps one schema instance per schema class, reads flat query strings and headers without a
marshmallow load when they are plainly valid (``FlatLoader``), and refuses a JSON body that is not
declared JSON, nests too deep or holds text that is not Unicode before any route sees it. Imports
nothing from the app (app/extensions.py installs it).

``FlatLoader``: a marshmallow load walks the schema's machinery (a proxy over the query string, each
field's deserialise-and-validate chain, error bookkeeping) even for ``?plate=B123``; for the
counter's plate lookup that was a tenth of the request's Python. Most query and header schemas are
flat: text and non-strict integer fields with marshmallow's validators, no hooks. For those the
loader reads the values itself and runs the fields' own validators; the moment anything is not
plainly valid (an error, a signed or non-ASCII number, a missing required value) it answers None
and the schema loads the request as before, so every error is still the schema's own
(tests/foundation/test_flat_arguments.py holds the two to the same results).
"""

from marshmallow import Schema, ValidationError, fields, missing, validate
from webargs import core as webargs_core
from webargs.flaskparser import FlaskParser, abort, is_json_request

# A request document nests no deeper than this (segment rules, the deepest, reach about 15); deeper
# would only exhaust the stack of whatever walks it.
MAX_JSON_DEPTH = 64

# Where flat loading applies (each a location whose unknown keys are ignored): the request's
# multi-dict there, read for the first value of each key as webargs' proxy reads it.
_FLAT_LOCATIONS = {
    "query": lambda req: req.args,
    "querystring": lambda req: req.args,
    "headers": lambda req: req.headers,
}
# An integer that is just ASCII digits converts as marshmallow's Integer converts it (``int()``);
# anything else (a sign, spaces, "1_000", other scripts' digits) is left to the schema.
_MAX_DIGITS = 10


class FlatLoader:
    """The load of a flat schema's values; build with ``for_schema``."""

    def __init__(self, plan):
        self._plan = plan  # (key in the request, key in the result, is integer, validators, default, required)

    @classmethod
    def for_schema(cls, schema):
        """A loader for ``schema`` (an instance), or None when only marshmallow can load it: hooks,
        fields other than plain text and non-strict integers, validators that are not marshmallow's."""
        if any(schema._hooks.values()) or schema.many or schema.partial or schema.only or schema.exclude:
            return None
        plan = []
        for name, field in schema.load_fields.items():
            if type(field) is fields.Integer and not field.strict:
                integer = True
            elif type(field) is fields.String:
                integer = False
            else:
                return None
            attribute = field.attribute or name
            if "." in attribute or not all(isinstance(v, validate.Validator) for v in field.validators):
                return None
            key = field.data_key if field.data_key is not None else name
            plan.append((key, attribute, integer, tuple(field.validators), field.load_default, field.required))
        return cls(tuple(plan))

    def load(self, values):
        """What the schema's load gives for ``values`` (a query string's or the headers' multi-dict,
        first value of each key, unknown keys ignored), or None when the schema must answer."""
        loaded = {}
        for key, attribute, integer, validators, default, required in self._plan:
            value = values.get(key)
            if value is None:
                if required:
                    return None
                if default is not missing:
                    loaded[attribute] = default() if callable(default) else default
                continue
            if integer:
                if not (value.isascii() and value.isdigit() and len(value) <= _MAX_DIGITS):
                    return None
                value = int(value)
            for validator in validators:
                try:
                    validator(value)
                except ValidationError:  # the schema gives the error its own message and shape
                    return None
            loaded[attribute] = value
        return loaded


def _json_document_problem(document):
    """Why a parsed body cannot be taken in (too deep, or text that is not Unicode), or None.

    A lone surrogate (``"\\ud83d"``) is valid JSON but no text: it cannot be stored or logged."""
    pending = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if depth > MAX_JSON_DEPTH:
            return f"The request body nests deeper than {MAX_JSON_DEPTH} levels."
        if isinstance(value, dict):
            pending.extend((key, depth) for key in value)
            pending.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            pending.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError:
                return "The request body holds a lone surrogate (U+D800 to U+DFFF), which is not text."
    return None


class ArgumentsParser(FlaskParser):
    """Reads request arguments with one instance per schema class, flat query strings and headers
    without a marshmallow load when they are plainly valid (``FlatLoader``), and every JSON body
    strictly.

    Routes name their argument schemas by class, and the stock parser builds a new instance (copying
    and binding every field) for each request. Schemas keep no state between loads, so one instance
    per class serves every request and thread.

    Every JSON body of the API is read here, so this is where a body is refused before any route
    sees it: one that is not declared JSON (415), nested too deep or holding text that is not
    Unicode (400 ``invalid_json``). A request without any body and without a Content-Type is an
    empty document, which the route's schema accepts or refuses by its required fields."""

    def _raw_load_json(self, req):
        data = req.get_data(cache=True)
        if not is_json_request(req):
            if not data and not req.mimetype:
                return webargs_core.missing
            abort(415, message="Send the body as JSON, with Content-Type: application/json.")
        try:
            document = webargs_core.parse_json(data)
        except RecursionError:
            abort(400, code="invalid_json", message=f"The request body nests deeper than {MAX_JSON_DEPTH} levels.")
        problem = _json_document_problem(document)
        if problem:
            abort(400, code="invalid_json", message=problem)
        return document

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._instances = {}
        self._flat_loaders = {}

    def parse(self, argmap, req=None, *, location=None, unknown=webargs_core._UNKNOWN_DEFAULT_PARAM, **kwargs):
        if (
            location in _FLAT_LOCATIONS
            and unknown is webargs_core._UNKNOWN_DEFAULT_PARAM
            and not kwargs.get("validate")
        ):
            loader = self._flat_loader(argmap, req)
            if loader is not None:
                loaded = loader.load(_FLAT_LOCATIONS[location](req if req is not None else self.get_default_request()))
                if loaded is not None:
                    return loaded
        return super().parse(argmap, req, location=location, unknown=unknown, **kwargs)

    def _flat_loader(self, argmap, req):
        try:
            return self._flat_loaders[argmap]
        except KeyError:
            pass
        except TypeError:  # an argmap that is not hashable (a dict of fields): the schema loads it
            return None
        if not (isinstance(argmap, type) and issubclass(argmap, Schema)):
            return None
        return self._flat_loaders.setdefault(argmap, FlatLoader.for_schema(self._get_schema(argmap, req)))

    def _get_schema(self, argmap, req):
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            instance = self._instances.get(argmap)
            if instance is None:
                instance = self._instances.setdefault(argmap, argmap())
            return instance
        return super()._get_schema(argmap, req)
