"""`make reset`: wipe the local data, unless a `make run` is using it (its lock on the state directory).

Runs on the system Python (no package needed), so it works before anything is installed."""
import fcntl
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK_FILE = "server.lock"  # local/server.py holds an exclusive flock on it while it runs


def main() -> int:
    state_dir = Path(os.environ.get("POS_LOCAL_STATE_DIR") or ROOT / ".local")
    if not state_dir.exists():
        print(f"{state_dir}: nothing to wipe.")
        return 0
    lock_path = state_dir / LOCK_FILE
    if lock_path.exists():
        with open(lock_path, "a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.seek(0)
                pid = handle.read().strip() or "?"
                print(f"make reset: the local server (pid {pid}) is running on {state_dir}; stop it first "
                      "(Ctrl-C in its terminal), then run make reset again. Nothing was deleted.", file=sys.stderr)
                return 1
            shutil.rmtree(state_dir)  # still holding the lock: no server can start on it meanwhile
    else:
        shutil.rmtree(state_dir)
    print(f"{state_dir}: wiped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
