"""The use cases and the domain reach storage and AWS only through the ports (chalicelib/ports.py, wired in
chalicelib/wiring.py): no module of chalicelib/services or chalicelib/domain imports an adapter, PynamoDB,
boto3 or botocore, and importing the app loads none of them (a cold start pays for them on first use)."""
import ast
import pathlib
import subprocess
import sys

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
    assert {p.parent.name for p in MODULES} == {"services", "domain"} and len(MODULES) >= 10
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from chalicelib.adapters.repositories import DeviceRepository\n"
                      "from chalicelib import adapters\nimport botocore.exceptions\n")
    assert {line for line, name in _imports(sample) if _forbidden(name)} == {2, 3, 4}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_services_and_domain_import_no_adapter_and_no_aws_library(path):
    offending = [f"line {line}: {name}" for line, name in _imports(path) if _forbidden(name)]
    assert not offending, f"{path.relative_to(ROOT)} imports {offending}; use chalicelib.wiring.adapters()"


def test_importing_the_app_loads_no_pynamodb_and_no_aws_sdk():
    code = "import app, sys; print(sorted(m for m in ('pynamodb', 'boto3', 'botocore') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
