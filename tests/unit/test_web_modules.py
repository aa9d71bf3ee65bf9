"""The SPA's pure modules (web/deletion_progress.js, ...) are unit-tested in node: tests/web/*.test.mjs.

This runs them under pytest, so `make test` (and the unit tests alone) include them; node's own report is shown
when one fails. Each test file is one pytest test.
"""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE_TESTS = sorted((ROOT / "tests" / "web").glob("*.test.mjs"))


def test_there_are_node_tests():
    assert NODE_TESTS, "tests/web/*.test.mjs not found"


@pytest.mark.parametrize("path", NODE_TESTS, ids=[p.name for p in NODE_TESTS])
def test_node_unit_tests_pass(path: Path):
    node = shutil.which("node")
    assert node, "node is not installed (the SPA's unit tests need it; `make test` installs it with the infra tools)"
    run = subprocess.run([node, "--test", "--test-reporter=spec", str(path)], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, f"node --test {path.relative_to(ROOT)} exited {run.returncode}:\n{run.stdout}\n{run.stderr}"
    assert re.search(r"\bpass [1-9]", run.stdout), run.stdout
    assert re.search(r"\bfail 0\b", run.stdout), run.stdout


def _catalog_keys(language: str) -> set[str]:
    text = (ROOT / "web" / "i18n" / f"{language}.js").read_text(encoding="utf-8")
    return set(re.findall(r"^\s*'([^']+)':\s*\S", text, re.M))


@pytest.mark.parametrize("language", ["en", "pl"])
def test_every_workflow_step_has_an_spa_label(language):
    """The SPA labels steps by the names the API sends (the registry in chalicelib/domain/deletion.py)."""
    from chalicelib.domain.deletion import Step

    keys = _catalog_keys(language)
    assert len(keys) > 100, "the catalog was not read"
    assert sorted(s.value for s in Step if f"deletion.step.{s.value}" not in keys) == []
