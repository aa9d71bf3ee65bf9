import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def infra_script(name: str):
    """infra/<name>.py loaded as a module: the scripts are not a package (they run as `python infra/<name>.py`)."""
    spec = importlib.util.spec_from_file_location(f"infra_{name}", ROOT / "infra" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
