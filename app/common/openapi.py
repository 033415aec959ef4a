"""The OpenAPI document's conventions, applied in one place so routes and schemas stay plain.

- A response schema (any schema that is not a request ``BodySchema``/``QuerySchema``) lists every
  field it dumps as ``required``; a field that may be left out says so with ``metadata={"x-omitted": True}``.
- Ids (``id``, ``*_id``, ``*_ids``) have ``minimum: 1``; a nullable nested object is ``allOf`` + ``nullable``
  (openapi-typescript turns that into ``T | null``); a ``Computed`` field is documented as its shape.
- Each operation's description is its docstring's, followed by the roles its auth decorator admits;
  a value-moving operation (``unit_of_work(idempotent=True)``) declares the ``Idempotency-Key`` header;
  ``x-error-codes`` lists the codes it can answer (app/common/error_codes.py), and each error status
  it lists names its codes. The catalogue of every code is ``x-error-codes`` at the top and the
  ``ErrorCode`` enum the error envelope's ``code`` refers to.
"""

import re
import threading
from http import HTTPStatus

from apispec import BasePlugin
from apispec.ext.marshmallow.common import resolve_schema_instance
from marshmallow import fields

from app.common import error_codes
from app.common.schemas import Computed, _RequestSchema

IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": "Makes a retry safe: the same key and body within a caller answer the first response again.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 128},
}
_ID_NAME = re.compile(r"^(id|\w+_id|\w+_ids)$")
# Any JSON value, written out so a generator types it (an error's details differ by code). The
# recursion goes through an object type: TypeScript refuses a union that names itself directly.
ERROR_DETAIL = {
    "nullable": True,
    "oneOf": [
        {"type": "string"},
        {"type": "number"},
        {"type": "boolean"},
        {
            "type": "array",
            "items": {
                "nullable": True,
                "oneOf": [
                    {"type": "string"},
                    {"type": "number"},
                    {"type": "boolean"},
                    {"$ref": "#/components/schemas/ErrorDetailObject"},
                ],
            },
        },
        {"$ref": "#/components/schemas/ErrorDetailObject"},
    ],
}
ERROR_DETAIL_OBJECT = {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/ErrorDetail"}}
ERROR_ENVELOPE = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}


def handler_of(app, rule, method):
    """The function a rule runs for ``method`` (a MethodView's method, or the view itself)."""
    view = app.view_functions.get(rule.endpoint)
    return getattr(getattr(view, "view_class", None), method.lower(), view)


def _computed_shape(self, field, ret, **kwargs):
    if isinstance(field, Computed):
        shape = self.field2property(field.shape)
        if "$ref" in shape:  # OpenAPI 3.0 ignores a $ref's siblings
            shape = {"allOf": [{"$ref": shape.pop("$ref")}], **shape}
        return {**shape, "readOnly": True}
    return {}


def _declared_shape(self, field, ret, **kwargs):
    # A free-form field whose grammar is written out as JSON Schema: metadata {"shape": ..., "components": ...}.
    shape = field.metadata.get("shape")
    if shape is None:
        return {}
    for name, component in field.metadata.get("components", {}).items():
        if name not in self.spec.components.schemas:
            self.spec.components.schema(name, component)
    kept = {key: ret[key] for key in ("description", "readOnly", "nullable") if key in ret}
    ret.clear()
    return {**shape, **kept}


def _id_minimum(self, field, ret, **kwargs):
    if isinstance(field, fields.Integer) and _ID_NAME.match(field.name or ""):
        return {"minimum": 1}
    return {}


def _nullable_reference(self, field, ret, **kwargs):
    # apispec writes a nullable $ref as anyOf [{type: object, nullable}, $ref], which a generator reads
    # as "an empty object or T"; allOf [$ref] with nullable reads as T | null.
    options = ret.get("anyOf")
    if options and {"type": "object", "nullable": True} in options:
        references = [option for option in options if option != {"type": "object", "nullable": True}]
        del ret["anyOf"]
        return {"allOf": references, "nullable": True}
    return {}


class ContractPlugin(BasePlugin):
    """Applies the conventions above while flask-smorest builds the document."""

    def __init__(self, app):
        super().__init__()
        self.app = app
        self._pending = []  # (operation, handler) whose error codes are still to be read
        self._lock = threading.Lock()

    def init_spec(self, spec):
        super().init_spec(spec)
        self.spec = spec
        converter = next(plugin for plugin in spec.plugins if hasattr(plugin, "converter")).converter
        for function in (_computed_shape, _declared_shape, _id_minimum, _nullable_reference):
            converter.add_attribute_function(function)

    def schema_helper(self, name, definition, **kwargs):
        schema = kwargs.get("schema")
        if schema is None:
            return None
        instance = resolve_schema_instance(schema)
        if isinstance(instance, _RequestSchema):
            return None
        required = sorted(
            field.data_key or field_name
            for field_name, field in instance.dump_fields.items()
            if not field.metadata.get("x-omitted")
        )
        return {"required": required} if required else None

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        if rule is None:
            return
        for method, operation in (operations or {}).items():
            handler = handler_of(self.app, rule, method)
            if handler is None:
                continue
            roles = getattr(handler, "_roles", None)
            note = f"Roles: {', '.join(roles)}." if roles else "Public: no token needed."
            description = operation.get("description")
            operation["description"] = f"{description}\n\n{note}" if description else note
            if getattr(handler, "_idempotent", False):
                operation.setdefault("parameters", []).append(dict(IDEMPOTENCY_PARAMETER))
            self._pending.append((operation, handler))

    def complete(self, spec):
        """Read the error codes from the source: once, when the document is first asked for, not at
        every start of the app (reading every function the views reach takes a second or two)."""
        with self._lock:
            if self._pending is None:
                return
            for operation, handler in self._pending:
                self._document_errors(operation, handler)
            self._pending = None
            _add_catalogue(spec)

    def _document_errors(self, operation, handler):
        responses = operation.setdefault("responses", {})
        by_status = {}
        for code, statuses in error_codes.codes_reached(handler).items():
            for status in statuses:
                by_status.setdefault(status, set()).add(code)
        listed = [int(s) for s in responses if s != "default" and int(s) >= 400]
        for status in listed:
            by_status.setdefault(status, set()).update(error_codes.FRAMEWORK_CODES.get(status, ()))
        for status in (500, 503):
            by_status.setdefault(status, set()).update(error_codes.FRAMEWORK_CODES[status])
        for status, codes in sorted(by_status.items()):
            names = ", ".join(f"`{code}`" for code in sorted(codes))
            declared = responses.get(str(status))
            if isinstance(declared, dict) and "$ref" not in declared:
                # The route wrote this response itself (WeChat's notification answers in WeChat's shape).
                declared["description"] = f"{declared.get('description', '')} Codes: {names}.".strip()
            else:
                responses[str(status)] = {
                    "description": f"{HTTPStatus(status).phrase}: {names}.",
                    "content": ERROR_ENVELOPE,
                }
        operation["x-error-codes"] = sorted(set().union(*by_status.values()))


def finish_document(api, plugin):
    """After every blueprint: the document builds itself (the routes, then their error codes and the
    catalogue) on first use."""
    spec = api.spec
    build = spec.to_dict

    def to_dict():
        api.document()
        plugin.complete(spec)
        return build()

    spec.to_dict = to_dict


def _add_catalogue(spec):
    """The catalogue of codes, and the envelope's ``code`` as its enum."""
    catalogue = error_codes.catalogue()
    spec.components.schema(
        "ErrorCode",
        {"type": "string", "enum": list(catalogue), "description": "Every error code; see `x-error-codes`."},
    )
    body = spec.components.schemas["ErrorBody"]
    body["properties"]["code"] = {"$ref": "#/components/schemas/ErrorCode"}
    spec.components.schema("ErrorDetail", ERROR_DETAIL)
    spec.components.schema("ErrorDetailObject", ERROR_DETAIL_OBJECT)
    body["properties"]["details"] = {
        "type": "object",
        "description": "Facts about the failure, by code (`fields` maps each invalid field to its messages).",
        "additionalProperties": {"$ref": "#/components/schemas/ErrorDetail"},
    }
    spec.options["x-error-codes"] = {
        code: {"statuses": sorted(entry.statuses), "meaning": entry.meaning} for code, entry in catalogue.items()
    }
