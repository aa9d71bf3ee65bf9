"""The use cases and the domain reach storage and AWS only through the ports (chalicelib/ports.py, wired in
chalicelib/wiring.py): no module of chalicelib/services or chalicelib/domain imports an adapter, PynamoDB,
boto3 or botocore, and importing the app loads none of them (a cold start pays for them on first use). And
chalicelib/ has no import cycle, counting the imports inside functions too; chalicelib/services imports
inside a function body only what is listed below, each for its reason (a function-level import once hid the
cycle audit <-> devices <-> final_sync, issue 26 item 1). The adapters use PynamoDB through its public names,
but one listed (issue 26 item 8)."""
import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
LAYERS = ("chalicelib/services", "chalicelib/domain")
FORBIDDEN = ("chalicelib.adapters", "pynamodb", "boto3", "botocore", "moto", "local")


def _imports(path: pathlib.Path) -> list[tuple[int, str]]:
    """Every module an `import` or `from ... import` names anywhere in the file (also inside functions)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            # `from chalicelib import adapters` names the package through its imported name
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


MODULES = sorted(path for layer in LAYERS for path in (ROOT / layer).glob("*.py"))


def test_the_scan_sees_every_module_and_catches_a_forbidden_import(tmp_path):
    assert {p.parent.name for p in MODULES} == {"services", "domain"}
    assert len(MODULES) >= 10
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from chalicelib.adapters.repositories import DeviceRepository\n"
                      "from chalicelib import adapters\nimport botocore.exceptions\n")
    assert {line for line, name in _imports(sample) if _forbidden(name)} == {2, 3, 4}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_services_and_domain_import_no_adapter_and_no_aws_library(path):
    offending = [f"line {line}: {name}" for line, name in _imports(path) if _forbidden(name)]
    assert not offending, f"{path.relative_to(ROOT)} imports {offending}; use chalicelib.wiring.adapters()"



# ---------------------------------------------------------------- import cycles inside chalicelib/

PACKAGE = ROOT / "chalicelib"


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


CHALICELIB = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _owner(name: str, modules) -> str | None:
    """The chalicelib module an imported name lives in (`chalicelib.services.sync.rejection` -> ...sync)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _graph(modules: dict[str, pathlib.Path]) -> dict[str, set[str]]:
    """Module -> the chalicelib modules it imports anywhere in the file (module level, `if`/`try`, functions)."""
    graph = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                targets |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                # `from chalicelib.services import sync` imports the module chalicelib.services.sync
                targets |= {f"{node.module}.{alias.name}" for alias in node.names} | {node.module}
        graph[name] = {owner for owner in (_owner(t, modules) for t in targets if t.startswith("chalicelib"))
                       if owner and owner != name and not name.startswith(owner + ".")}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan), each a set of module names."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_scan_sees_chalicelib_and_finds_a_cycle_through_a_function_level_import(tmp_path):
    assert {"chalicelib.services.sync", "chalicelib.adapters.sqlite", "chalicelib.api.http"} <= set(CHALICELIB)
    package = tmp_path / "chalicelib"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from chalicelib import b\n")
    (package / "b.py").write_text("def f():\n    from chalicelib.c import g\n")
    (package / "c.py").write_text("import chalicelib.a\n")
    (package / "d.py").write_text("from chalicelib.a import x\n")
    (package / "e.py").write_text("import chalicelib.d\n")
    modules = {".".join(p.relative_to(tmp_path).with_suffix("").parts).removesuffix(".__init__"): p
               for p in package.rglob("*.py")}
    assert _cycles(_graph(modules)) == [frozenset({"chalicelib.a", "chalicelib.b", "chalicelib.c"})]


def test_no_import_cycle_inside_chalicelib_even_through_function_level_imports():
    assert _cycles(_graph(CHALICELIB)) == [], "an import cycle inside chalicelib/"


# ---------------------------------------------------------------- imports inside functions of chalicelib/services

# Each with its reason. Not for a chalicelib module: a use case that needs another imports it at module level,
# and two that need each other share a third (e.g. services/slot_writes.py, services/findings.py).
LAZY_IMPORTS = {
    ("security.py", "argon2"): "argon2 and cffi load with the first password checked, not at cold start "
                               "(tests/robustness/test_import_lean.py)",
    ("security.py", "argon2.exceptions"): "the same",
}
SERVICES = sorted((ROOT / "chalicelib/services").glob("*.py"))


def _function_level_imports(path: pathlib.Path) -> set[tuple[int, str]]:
    """(line, module) of every import inside a function or lambda body, at any depth."""
    found = set()
    for function in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            for node in ast.walk(function):
                if isinstance(node, ast.Import):
                    found |= {(node.lineno, alias.name) for alias in node.names}
                elif isinstance(node, ast.ImportFrom):
                    found.add((node.lineno, "." * node.level + (node.module or "")))
    return found


def test_the_function_level_import_scan_finds_them_at_any_depth(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import json\n\ndef f():\n    if True:\n        import csv\n\n    def g():\n"
                      "        from chalicelib.services import audit\n\nclass C:\n    def m(self):\n"
                      "        from . import x\n")
    assert _function_level_imports(sample) == {(5, "csv"), (8, "chalicelib.services"), (12, ".")}


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_use_cases_import_at_module_level_only(path):
    offending = [f"line {line}: {name}" for line, name in sorted(_function_level_imports(path))
                 if (path.name, name) not in LAZY_IMPORTS]
    assert offending == [], f"chalicelib/services/{path.name} imports inside a function: {offending}"


def test_every_listed_lazy_import_is_still_there():
    present = {(path.name, name) for path in SERVICES for _line, name in _function_level_imports(path)}
    assert set(LAZY_IMPORTS) - present == set(), "drop the entries that no longer hold"


def _private_uses(path: pathlib.Path) -> list[str]:
    """`module._name` of an imported chalicelib module, or `from chalicelib.x import _name`, anywhere in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    imported = set()
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chalicelib"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
                imported.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            imported |= {alias.asname or alias.name for alias in node.names if alias.name.startswith("chalicelib")}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in imported
                and node.attr.startswith("_") and not node.attr.startswith("__")):
            found.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_use_cases_and_domain_call_each_other_through_public_names_only(path):
    """final_sync once called six private sync._* functions; a use case another one needs is public."""
    assert _private_uses(path) == [], f"{path.relative_to(ROOT)} reaches into another module's private names"


# ---------------------------------------------------------------- PynamoDB's private names (issue 26 item 8)

ADAPTERS = sorted((ROOT / "chalicelib/adapters").rglob("*.py"))
# Each with its reason; anything else of PynamoDB's that starts with "_" may change in any release.
PYNAMODB_PRIVATE_ALLOWED = {
    ("models.py", "_connection"): "bind() drops a model's cached connection: PynamoDB renews it only when the table "
                                  "name changes, not the host or the limits, and has no public way to",
}


def _pynamodb_private_names() -> set[str]:
    """The `_name`s of PynamoDB's classes (models, connections, indexes, attributes, conditions, transactions)."""
    import inspect

    import pynamodb.attributes
    import pynamodb.connection
    import pynamodb.connection.base
    import pynamodb.exceptions
    import pynamodb.expressions.condition
    import pynamodb.indexes
    import pynamodb.models
    import pynamodb.transactions

    names = set()
    for module in (pynamodb.models, pynamodb.connection, pynamodb.connection.base, pynamodb.indexes,
                   pynamodb.attributes, pynamodb.expressions.condition, pynamodb.transactions, pynamodb.exceptions):
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__.startswith("pynamodb"):
                names |= {n for n in dir(cls) if n.startswith("_") and not n.startswith("__")}
    return names


def _private_pynamodb_uses(path: pathlib.Path, private: set[str]) -> set[tuple[int, str]]:
    """`x._name` (x not self or cls) and getattr/setattr(x, "_name") for a PynamoDB private name."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if (isinstance(node, ast.Attribute) and node.attr in private
                and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
            found.add((node.lineno, node.attr))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id in ("getattr", "setattr", "hasattr") and len(node.args) > 1
              and isinstance(node.args[1], ast.Constant) and node.args[1].value in private):
            found.add((node.lineno, node.args[1].value))
    return found


def test_the_pynamodb_scan_knows_its_private_names_and_finds_them(tmp_path):
    private = _pynamodb_private_names()
    assert {"_get_connection", "_indexes", "_connection", "_hash_keyname"} <= private
    sample = tmp_path / "sample.py"
    sample.write_text("def f(model, tx):\n    model._get_connection().query('x')\n    self._indexes\n"
                      "    getattr(model, '_hash_keyname', None)\n    model.get_attributes()\n")
    assert _private_pynamodb_uses(sample, private) == {(2, "_get_connection"), (4, "_hash_keyname")}


def test_the_adapters_use_pynamodb_through_its_public_names():
    private = _pynamodb_private_names()
    found = {(path.name, name): line for path in ADAPTERS for line, name in _private_pynamodb_uses(path, private)}
    assert set(found) - set(PYNAMODB_PRIVATE_ALLOWED) == set(), found
    assert set(PYNAMODB_PRIVATE_ALLOWED) - set(found) == set(), "drop the entries that no longer hold"
