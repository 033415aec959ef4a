"""Which error codes the service answers, read from its source.

Two readings of the same rules, both static (nothing is executed):

- ``catalogue()``: every code used anywhere under app/ (an ``AppError`` built or named, an
  ``error_response`` call, the framework's codes below) with its statuses and its meaning: the
  message written where it is raised, else the error class's docstring, else ``MEANINGS``.
- ``codes_reached(view)``: the codes one view can answer: its own body, the decorators wrapped
  around it (auth, unit of work) and every function of app/ it calls, followed through modules,
  classes and ``self``-less method calls by name.

The OpenAPI document lists both (app/common/openapi.py); docs/errors.md is the catalogue rendered.
"""

import ast
import builtins
import functools
import importlib
import inspect
import pkgutil
import textwrap
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

from flask.views import MethodView

from app.common.errors import _HTTP_CODES, AppError, error_response

# The application package, found from here rather than imported (app/common imports no domain).
APP_PACKAGE = __name__.split(".")[0]
APP_ROOT = Path(__file__).resolve().parents[1]

# Codes the framework answers on any route with the status listed (webargs, Werkzeug, the error
# handlers in app/common/errors.py), so no raise site names them for a given view.
FRAMEWORK_CODES = {
    400: ("bad_request", "invalid_json"),
    404: ("not_found",),
    409: ("conflict",),
    413: ("payload_too_large",),
    415: ("unsupported_media_type",),
    422: ("validation_error",),
    429: ("rate_limited",),
    500: ("internal_error",),
    503: ("database_unavailable",),
}

# Meanings of the codes whose raise sites carry no literal message.
MEANINGS = {
    "bad_request": "The request is malformed (or breaks a rule that has no code of its own).",
    "unauthorized": "Authentication is needed.",
    "forbidden": "Your role cannot do this.",
    "not_found": "No such path or row (an id that names nothing, or one the caller may not see).",
    "method_not_allowed": "The path does not answer this HTTP method; `Allow` lists those it does.",
    "conflict": "The request conflicts with the current state (a unique value already taken, a row changed).",
    "payload_too_large": "The request body is larger than the service accepts (64 KiB).",
    "unsupported_media_type": "The body is not JSON where JSON is expected; send Content-Type: application/json.",
    "validation_error": "A field is missing or invalid; `details.fields` maps each field to its messages.",
    "rate_limited": "Too many requests; wait for the seconds in `Retry-After`.",
    "invalid_json": "The request body is not valid JSON.",
    "internal_error": "Something went wrong on the service's side; the failure is logged.",
    "database_unavailable": "The database is briefly unavailable; try again after `Retry-After`.",
    "service_unavailable": "The service cannot do this right now; try again later.",
    "http_error": "Another HTTP failure; the status says which.",
    "wechat_pay_not_configured": "WeChat Pay is not configured for live mode (a key, certificate or id is wrong).",
    "coupon_not_applicable": "The coupon cannot be used on this order (threshold, scope or item); the message says.",
}


@dataclass
class Code:
    code: str
    statuses: set = field(default_factory=set)
    meaning: str = ""


def _app_modules():
    names = [APP_PACKAGE]
    for info in pkgutil.walk_packages([str(APP_ROOT)], prefix=f"{APP_PACKAGE}."):
        names.append(info.name)
    return [importlib.import_module(name) for name in sorted(names)]


def _is_error_class(obj):
    return isinstance(obj, type) and issubclass(obj, AppError)


def _in_app(obj):
    return (getattr(obj, "__module__", None) or "").split(".")[0] == APP_PACKAGE


def _text(node):
    """A message as written: a literal, or an f-string with its placeholders kept."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            part.value if isinstance(part, ast.Constant) else "{" + _placeholder(part.value) + "}"
            for part in node.values
        )
    return None


def _placeholder(node):
    """A readable name for a value put into a message: ``{status}`` for ``booking.status.replace(...)``."""
    while True:
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "join" and node.args:
            node = node.args[0]  # ", ".join(names) -> {names}
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
            node = node.args[-1]  # map(str, SLOTS) -> {SLOTS}
        elif isinstance(node, ast.Call):
            node = node.func.value if isinstance(node.func, ast.Attribute) else node.func
        elif isinstance(node, ast.Subscript):
            node = node.slice if isinstance(node.slice, ast.Constant) else node.value
        else:
            break
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Constant):
        return str(node.value)
    return "…"


def _argument(call, signature, name):
    """The expression passed for parameter ``name`` (by keyword or position), or None."""
    for keyword in call.keywords:
        if keyword.arg == name:
            return keyword.value
    positional = [
        p.name for p in signature.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    if name in positional and positional.index(name) < len(call.args):
        argument = call.args[positional.index(name)]
        return None if isinstance(argument, ast.Starred) else argument
    return None


@functools.cache
def _init_signature(error_class):
    signature = inspect.signature(error_class.__init__)
    return signature.replace(parameters=list(signature.parameters.values())[1:])


def _constructed(error_class, call):
    """(code, status, message) of ``error_class(...)``, the class's own code when none is passed;
    None when the code is computed (a helper's parameter: see ``_forwarded``)."""
    signature = _init_signature(error_class)
    code_node = _argument(call, signature, "code") if call is not None else None
    status_node = _argument(call, signature, "status") if call is not None else None
    message_node = _argument(call, signature, "message") if call is not None else None
    if code_node is not None and not (isinstance(code_node, ast.Constant) and code_node.value is None):
        if not isinstance(code_node, ast.Constant):
            return None
        code = code_node.value
    else:
        code = error_class.code
    status = status_node.value if isinstance(status_node, ast.Constant) and status_node.value else error_class.status
    message = _text(message_node) if message_node is not None else None
    if message is None and code == error_class.code and error_class.__doc__ and error_class is not AppError:
        message = inspect.cleandoc(error_class.__doc__).split("\n\n")[0].replace("\n", " ")
    return code, status, message


@functools.cache
def _forwarded(function):
    """How a helper builds an error from its own parameters (``def _unique_flush(code, message): ...
    raise Conflict(code, message)``): ((code parameter, status, message parameter or text), ...)."""
    tree = _function_tree(function)
    if tree is None:
        return ()
    parameters = set(inspect.signature(function).parameters)
    scope, found = _scope_of(function), []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _is_error_class(target := _resolve(node.func, scope)):
            signature = _init_signature(target)
            code_node = _argument(node, signature, "code")
            if isinstance(code_node, ast.Name) and code_node.id in parameters:
                status_node = _argument(node, signature, "status")
                status = status_node.value if isinstance(status_node, ast.Constant) else target.status
                message_node = _argument(node, signature, "message")
                message = message_node.id if isinstance(message_node, ast.Name) else _text(message_node)
                found.append((code_node.id, status, message, isinstance(message_node, ast.Name)))
    return tuple(found)


def _forwarded_codes(function, call, found):
    signature = inspect.signature(function)
    for parameter, status, message, message_is_parameter in _forwarded(function):
        code_node = _argument(call, signature, parameter)
        if isinstance(code_node, ast.Constant) and isinstance(code_node.value, str):
            if message_is_parameter:
                message_node = _argument(call, signature, message)
                message = _text(message_node) if message_node is not None else None
            _add(found, code_node.value, status, message)


def _resolve(node, scope):
    """The object an expression names, through module globals, closures and attributes."""
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, scope)
        if base is not None and (inspect.ismodule(base) or isinstance(base, type)):
            return inspect.getattr_static(base, node.attr, None)
    return None


# Method names of Python's and SQLAlchemy's own objects: a call by one of these names on an object of
# unknown type is taken to be theirs, never an app function of the same name.
_FOREIGN_METHODS = frozenset(
    "get items keys values pop update add append extend setdefault copy sort count index join split strip "
    "replace format lower upper startswith endswith encode decode all first one one_or_none scalar scalars "
    "execute where filter order_by limit offset flush delete merge refresh isoformat date time astimezone "
    "timestamp total_seconds group_by having label in_ is_ subquery".split()
)


@functools.cache
def _methods_by_name():
    """Functions defined in app/ (in classes and modules), by name: a call ``obj.name()`` on an object
    whose type the source does not say may reach any of them (a WeChat client is the fake or the
    live one; ``instruments.wallet()`` returns the wallet's services module)."""
    methods = {}
    for module in _app_modules():
        for name, member in vars(module).items():
            if inspect.isfunction(member) and member.__module__ == module.__name__ and name not in _FOREIGN_METHODS:
                methods.setdefault(name, []).append(member)
        for cls in vars(module).values():
            if isinstance(cls, type) and cls.__module__ == module.__name__:
                if issubclass(cls, MethodView):  # views are reached through their routes
                    continue
                for name, member in vars(cls).items():
                    function = getattr(member, "__func__", member)
                    if inspect.isfunction(function) and not name.startswith("__") and name not in _FOREIGN_METHODS:
                        methods.setdefault(name, []).append(function)
    return methods


def _unwrap_callable(obj):
    obj = getattr(obj, "__func__", obj)  # staticmethod, classmethod, bound method
    return obj if inspect.isfunction(obj) else None


@functools.cache
def _function_tree(function):
    try:
        # The code object's own lines: getsource(function) would follow __wrapped__ to the view.
        source = textwrap.dedent(inspect.getsource(function.__code__))
    except (OSError, TypeError):
        return None
    return ast.parse(source)


def _scope_of(function):
    scope = dict(vars(builtins))
    scope.update(function.__globals__)
    if function.__closure__:
        for name, cell in zip(function.__code__.co_freevars, function.__closure__, strict=True):
            try:
                scope[name] = cell.cell_contents
            except ValueError:  # an empty cell
                pass
    return scope


def _scan(tree, scope, found, callees):
    """Record the codes built or named in ``tree`` into ``found`` and the app functions it calls into ``callees``."""
    called = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            called.add(id(node.func))
            target = _resolve(node.func, scope)
            if _is_error_class(target):
                if (constructed := _constructed(target, node)) is not None:
                    _add(found, *constructed)
            elif target is error_response:
                code, message, status = (node.args + [None] * 3)[:3]
                if isinstance(code, ast.Constant) and isinstance(status, ast.Constant):
                    _add(found, code.value, status.value, _text(message) if message is not None else None)
            elif (function := _unwrap_callable(target)) is not None and _in_app(function):
                callees.append(function)
                _forwarded_codes(function, node, found)
            elif isinstance(node.func, ast.Attribute) and _unknown(node.func.value, scope):
                callees.extend(_methods_by_name().get(node.func.attr, ()))
        elif isinstance(node, (ast.Name, ast.Attribute)) and id(node) not in called:
            target = _resolve(node, scope)
            if _is_error_class(target):  # a class chosen at run time (``kind = A if x else B``)
                _add(found, *_constructed(target, None))
            elif isinstance(target, dict) and any(_is_error_class(v) for v in target.values()):
                for value in target.values():
                    if _is_error_class(value):
                        _add(found, *_constructed(value, None))


def _unknown(node, scope):
    """An expression the source gives no type for: a local variable, an attribute of one, or what a
    call returned (``instruments.wallet().spend(...)``)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Call) or (isinstance(node, ast.Name) and node.id not in scope)


def _add(found, code, status, message):
    entry = found.setdefault(code, Code(code))
    entry.statuses.add(int(status))
    if message and not entry.meaning:
        entry.meaning = message


@functools.cache
def _own_codes(function):
    """(codes built in ``function``'s own body, the app functions it calls)."""
    found, callees = {}, []
    tree = _function_tree(function)
    if tree is not None:
        _scan(tree, _scope_of(function), found, callees)
    wrapped = getattr(function, "__wrapped__", None)
    if wrapped is not None:
        callees.append(wrapped)
    return {code: frozenset(entry.statuses) for code, entry in found.items()}, tuple(callees)


@functools.cache
def codes_reached(view):
    """{code: statuses} a view can answer, from its source and all the app code it reaches."""
    reached, seen, stack = {}, set(), [view]
    while stack:
        function = stack.pop()
        if function in seen:
            continue
        seen.add(function)
        codes, callees = _own_codes(function)
        for code, statuses in codes.items():
            reached[code] = reached.get(code, frozenset()) | statuses
        stack.extend(callees)
    return dict(sorted(reached.items()))


@functools.cache
def catalogue():
    """Every code of the service: {code: Code}, sorted by code."""
    found = {}
    for status, codes in FRAMEWORK_CODES.items():
        for code in codes:
            _add(found, code, status, MEANINGS.get(code))
    for status, code in _HTTP_CODES.items():
        _add(found, code, status, MEANINGS.get(code))
    _add(found, "method_not_allowed", 405, MEANINGS["method_not_allowed"])
    classes = [AppError]
    while classes:  # each error class's own code, raised wherever the class is built without one
        cls = classes.pop()
        _add(found, *_constructed(cls, None))
        classes.extend(cls.__subclasses__())
    _add(found, "http_error", 400, MEANINGS["http_error"])
    for module in _app_modules():
        try:
            tree = ast.parse(inspect.getsource(module))
        except (OSError, TypeError):
            continue
        _scan(tree, vars(module), found, [])
    for code, entry in found.items():
        entry.meaning = MEANINGS.get(code) or entry.meaning
    return dict(sorted(found.items()))


def render_markdown():
    """docs/errors.md: the catalogue as a table (``flask openapi errors-doc`` writes it)."""
    lines = [
        "# Error codes",
        "",
        'Every failure answers `{"error": {"code", "message", "details"}}`. This is every `code` the',
        "service can answer, with its HTTP status and meaning; each operation of the OpenAPI document",
        "(`GET /api/v1/openapi.json`) lists the codes it can answer under `x-error-codes`.",
        "",
        "Generated from the source by `flask openapi errors-doc`; do not edit by hand (a test compares).",
        "",
        "| code | status | meaning |",
        "| --- | --- | --- |",
    ]
    for code, entry in catalogue().items():
        statuses = ", ".join(f"{s} {HTTPStatus(s).phrase}" for s in sorted(entry.statuses))
        meaning = entry.meaning.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| `{code}` | {statuses} | {meaning} |")
    return "\n".join(lines) + "\n"
