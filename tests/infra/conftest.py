"""The packaged template, built once per test session (test_template.py and test_deploy.py share it)."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def packaged(tmp_path_factory) -> tuple[dict, Path]:
    """chalice package --merge-template of a copy of the project; (sam.json, out dir)."""
    project = tmp_path_factory.mktemp("project")
    for name in ("app.py", "chalicelib", "infra", "vendor"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, project / name)
    (project / ".chalice").mkdir()
    for policy in (ROOT / ".chalice").glob("*.json"):
        shutil.copy2(policy, project / ".chalice" / policy.name)
    out = project / "out"
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1",
           "PYTHON": sys.executable, "CHALICE": str(BIN / "chalice")}
    result = subprocess.run(["bash", "infra/package.sh", str(out)], cwd=project, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((out / "sam.json").read_text(encoding="utf-8")), out
