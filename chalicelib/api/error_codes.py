"""Which error codes an operation can answer, read from the code that raises them (for /v1/openapi.json).

The mechanism, and what it does not see:
* From the route's handler, a static walk of the calls it makes (Python's `ast` on the functions' source):
  a function or class reached by name (module functions, imported names, `module.function`) is walked in
  turn; a method called on an object is walked when the object is a port of `wiring.adapters()` (its
  concrete repository's method of that name) or when a class of chalicelib.domain has a method of that name
  (domain objects are passed around as instances).
* Every construction of a DomainError subclass met on the way counts (raised or handed to a transaction as
  its refusal): its `code=` when it is a literal, else the upper-case string values of the module constants
  the function reads (a table of codes, e.g. domain.devices._ILLEGAL_CODES), else the class's code; the
  status is the class's.
* Not seen: codes built at run time (an f-string), errors passed through variables of other functions,
  calls through callables held in variables. The list is therefore "what the code visibly raises": it may
  hold a code a particular request can never meet (e.g. every illegal-transition code of a device).
What the shared endpoint wrapper adds (auth, path, body, query, limits) is listed by `wrapper_codes`.
"""
import ast
import functools
import importlib
import inspect
import pkgutil
import textwrap
import types

from chalicelib import errors

_PACKAGE = "chalicelib"


def _is_error_class(value) -> bool:
    return isinstance(value, type) and issubclass(value, errors.DomainError)


def _own(value) -> bool:
    return getattr(value, "__module__", "").startswith(_PACKAGE + ".") or getattr(value, "__module__", "") == _PACKAGE


@functools.cache
def _domain_methods() -> dict[str, tuple]:
    """Method name -> the functions of that name on chalicelib.domain's classes."""
    import chalicelib.domain as domain

    index: dict[str, list] = {}
    for info in pkgutil.iter_modules(domain.__path__):
        module = importlib.import_module(f"{domain.__name__}.{info.name}")
        for cls in vars(module).values():
            if isinstance(cls, type) and cls.__module__ == module.__name__ and not _is_error_class(cls):
                for name, member in vars(cls).items():
                    function = getattr(member, "__func__", member)
                    if isinstance(function, types.FunctionType):
                        index.setdefault(name, []).append(function)
    return {name: tuple(functions) for name, functions in index.items()}


@functools.cache
def _port_classes() -> dict[str, type]:
    """`adapters().<port>` -> its concrete class, as wiring._aws builds them (keyword=Class())."""
    from chalicelib import wiring

    classes = {}
    tree = ast.parse(textwrap.dedent(inspect.getsource(wiring._aws)))
    scope = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                scope[alias.asname or alias.name] = importlib.import_module(f"{node.module}.{alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and isinstance(node.value, ast.Call):
            target = _resolve(node.value.func, scope)
            if isinstance(target, type):
                classes[node.arg] = target
    return classes


def _resolve(node, scope: dict):
    """The object an expression names (a Name, or attributes of a module/class), or None."""
    if isinstance(node, ast.Name):
        return scope.get(node.id)
    if isinstance(node, ast.Attribute):
        base = _resolve(node.value, scope)
        if isinstance(base, (types.ModuleType, type)):
            return getattr(base, node.attr, None)
    return None


def _port_of(node) -> str | None:
    """`adapters().devices` -> "devices"."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Call):
        func = node.value.func
        if isinstance(func, ast.Name) and func.id == "adapters":
            return node.attr
    return None


def _scope(function) -> dict:
    scope = dict(vars(inspect.getmodule(function)) if inspect.getmodule(function) else {})
    if function.__closure__:
        scope.update(zip(function.__code__.co_freevars, (cell.cell_contents for cell in function.__closure__
                                                           if _cell_set(cell))))
    return scope


def _cell_set(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _codes_of_constants(tree, scope: dict) -> set[str]:
    """Upper-case string values of the module-level tables (dicts) a function reads."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(scope.get(node.id), dict):
            for value in scope[node.id].values():
                if type(value) is str and value.isupper() and " " not in value:
                    found.add(value)
    return found


def _error_of(call: ast.Call, cls, tree, scope: dict) -> set[tuple[int, str]]:
    code = next((kw.value for kw in call.keywords if kw.arg == "code"), None)
    if code is None:
        return {(cls.status, cls.code)}
    if isinstance(code, ast.Constant) and isinstance(code.value, str):
        return {(cls.status, code.value)}
    table = _codes_of_constants(tree, scope)
    return {(cls.status, value) for value in table} if table else set()


@functools.cache
def raised_by(function) -> frozenset[tuple[int, str]]:
    """(status, code) of every DomainError `function` and what it calls visibly make."""
    return frozenset(_walk(function, set()))


def _walk(function, seen: set) -> set[tuple[int, str]]:
    function = inspect.unwrap(function)
    if function in seen or not isinstance(function, types.FunctionType) or not _own(function):
        return set()
    seen.add(function)
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return set()
    scope = _scope(function)
    found: set[tuple[int, str]] = set()
    called = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called.add(id(node.func))
        target = _resolve(node.func, scope)
        if _is_error_class(target):
            found |= _error_of(node, target, tree, scope)
            continue
        for callee in _callees(node.func, target):
            found |= _walk(callee, seen)
    for node in ast.walk(tree):  # a function named but not called here (`run = a if b else c`, then `run(...)`)
        if isinstance(node, (ast.Name, ast.Attribute)) and id(node) not in called:
            target = _resolve(node, scope)
            if isinstance(target, types.FunctionType):
                found |= _walk(target, seen)
    return found


def _callees(func_node, target) -> list:
    if isinstance(target, types.FunctionType):
        return [target]
    if isinstance(target, type) and _own(target):  # a class: what its constructor runs
        return [member for name, member in vars(target).items()
                if name in ("__init__", "__post_init__") and isinstance(member, types.FunctionType)]
    if target is None and isinstance(func_node, ast.Attribute):
        port = _port_of(func_node.value)
        if port is not None:
            cls = _port_classes().get(port)
            method = getattr(cls, func_node.attr, None) if cls else None
            return [getattr(method, "__func__", method)] if method else []
        return list(_domain_methods().get(func_node.attr, ()))
    return []


def authenticator_codes(authenticator) -> set:
    """What an authenticator of chalicelib/api/auth.py answers: its token check, then its route check."""
    return set(raised_by(type(authenticator).authenticate)) | set(raised_by(type(authenticator).authorize))


def wrapper_codes(*, authenticator, has_body: bool, paged: bool, has_path: bool) -> set:
    """What the shared endpoint wrapper (chalicelib/api/http.py) answers before or around the handler."""
    from chalicelib.api import http

    found = {(413, errors.PayloadTooLarge.code), (503, errors.ServiceUnavailable.code),
             (500, errors.InternalError.code)}
    if authenticator is not None:
        found |= authenticator_codes(authenticator)
    if has_path:
        found.add((404, errors.NotFound.code))
    if has_body:
        found |= {(400, code) for code in _validation_codes()} | {(400, errors.MalformedJson.code)}
    else:
        found |= raised_by(http._reject_body)
    found |= {(400, code) for code in _validation_codes()}  # a query (or NoQuery: any parameter is refused)
    if paged:
        found.add((400, errors.InvalidCursor.code))  # the storage's paging (adapters), bound to its listing
    return found


def _validation_codes() -> set[str]:
    from chalicelib.api import http

    return {errors.ValidationFailed.code, *http._PYDANTIC_CODES.values()}
