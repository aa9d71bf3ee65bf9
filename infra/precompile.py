"""Precompile the Lambda package: add CPython 3.11 bytecode for every .py file in deployment.zip.

`chalice package` ships sources only, and /var/task is read-only, so without this every cold start of every
function compiles app.py, chalicelib and the dependencies again (issue 13 measured 1,266 ms CPU against 514 ms with
bytecode). The .pyc files go where the import system looks (`__pycache__/<name>.cpython-311.pyc`, sources kept
for tracebacks) and are hash-based and unchecked (PEP 552): the zip's timestamps cannot invalidate them, and
Python does not read the source to check them. The zip is rewritten deterministically (sorted names, one fixed
timestamp), so the same sources give the same bytes.

    python3.11 infra/precompile.py out/deployment.zip

It must run on the functions' runtime version (python3.11 in the template): bytecode is version-specific.
"""
import argparse
import compileall
import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path

RUNTIME = (3, 11)  # the functions' Runtime: python3.11 (infra/template.yml, tests/infra/test_template.py)
TASK_ROOT = "/var/task"  # where Lambda unpacks the code: the paths tracebacks show
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold
FILE_MODE = 0o100644 << 16  # a regular file, rw-r--r--


def precompile(zip_path: Path) -> int:
    """Rewrite `zip_path` with bytecode added; the number of .pyc files it now holds."""
    if sys.version_info[:2] != RUNTIME:
        raise SystemExit(f"precompile: run this with python{RUNTIME[0]}.{RUNTIME[1]} (the functions' runtime), "
                         f"not {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with zipfile.ZipFile(zip_path) as package:
            modes = {info.filename: info.external_attr for info in package.infolist() if not info.is_dir()}
            package.extractall(root)
        stale = [name for name in modes if name.endswith(".pyc")]
        if stale:
            raise SystemExit(f"precompile: {zip_path} already holds bytecode ({stale[0]} ...)")
        compiled = compileall.compile_dir(root, ddir=TASK_ROOT, quiet=1, workers=1,
                                          invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        if not compiled:  # compileall printed which; such a file fails only if imported, as it would anyway
            print("precompile: warning: some files of the package do not compile (above); shipped as source")
        files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
        rewritten = zip_path.with_suffix(".tmp.zip")
        with zipfile.ZipFile(rewritten, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as out:
            for name in files:
                info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
                info.external_attr = modes.get(name, FILE_MODE)
                info.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(info, (root / name).read_bytes(), compresslevel=9)
        rewritten.replace(zip_path)
    return sum(name.endswith(".pyc") for name in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("zip", type=Path, help="the deployment.zip written by chalice package")
    count = precompile(parser.parse_args().zip)
    print(f"precompile: {count} .pyc files (cpython-{RUNTIME[0]}{RUNTIME[1]}, unchecked-hash) in the package")


if __name__ == "__main__":
    main()
