"""CPU time of `import app` from the code package, with the bytecode infra/precompile.py adds and without it.

    .venv/bin/python -m bench.package_bytecode [runs]

Packages a copy of the project as tests/infra/conftest.py does (infra/package.sh, offline: without
requirements.txt, so the zip holds app.py, chalicelib and chalice's runtime; the other dependencies are read
from .venv, from their own bytecode, on both sides), unpacks it twice (as is, and with every __pycache__
removed: what `chalice package` alone ships) and imports the app from each in fresh interpreters that write
no bytecode, as on Lambda's read-only /var/task. Alternates the two sides; prints the medians of `runs`
(default 7) and ends with `PACKAGE_BYTECODE cpu_with_ms=<a> cpu_without_ms=<b> saved_ms=<b-a>`.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, time
c0 = time.process_time()
import app
print(json.dumps({"cpu": time.process_time() - c0, "file": app.__file__}))
"""


def package(work: Path) -> Path:
    project = work / "project"
    project.mkdir()
    for name in ("app.py", "chalicelib", "infra"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, project / name)
    (project / ".chalice").mkdir()
    for policy in (ROOT / ".chalice").glob("*.json"):
        shutil.copy2(policy, project / ".chalice" / policy.name)
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "PYTHON": sys.executable,
           "CHALICE": str(Path(sys.executable).parent / "chalice")}
    subprocess.run(["bash", "infra/package.sh", "out"], cwd=project, env=env, check=True, capture_output=True,
                   timeout=300)
    return project / "out" / "deployment.zip"


def unpack(zip_path: Path, target: Path, bytecode: bool) -> Path:
    with zipfile.ZipFile(zip_path) as package:
        for name in package.namelist():
            if bytecode or "__pycache__/" not in name:
                package.extract(name, target)
    return target


def import_cpu(task_root: Path) -> float:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHONPYCACHEPREFIX"))}
    env.update({"AWS_DEFAULT_REGION": "us-east-1", "PYTHONDONTWRITEBYTECODE": "1"})
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=task_root, env=env, capture_output=True, text=True,
                         check=True, timeout=120)
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert Path(figures["file"]).resolve().is_relative_to(task_root.resolve()), figures  # the packaged app
    return figures["cpu"]


def main() -> None:
    runs = max(3, int(sys.argv[1]) if len(sys.argv) > 1 else 7)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        zip_path = package(work)
        with_pyc, without_pyc = unpack(zip_path, work / "with", True), unpack(zip_path, work / "without", False)
        import_cpu(with_pyc), import_cpu(without_pyc)  # warm the OS file cache; not counted
        a, b = [], []
        for _ in range(runs):
            a.append(import_cpu(with_pyc))
            b.append(import_cpu(without_pyc))
    with_ms, without_ms = statistics.median(a) * 1000, statistics.median(b) * 1000
    print(f"import app from the package, CPU, median of {runs} fresh interpreters (no bytecode written)")
    print(f"  with the precompiled .pyc        {with_ms:8.1f} ms")
    print(f"  sources only (chalice package)   {without_ms:8.1f} ms")
    print(f"PACKAGE_BYTECODE cpu_with_ms={with_ms:.1f} cpu_without_ms={without_ms:.1f} saved_ms={without_ms - with_ms:.1f}")


if __name__ == "__main__":
    main()
