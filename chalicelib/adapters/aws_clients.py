"""One boto3 client per (service, purpose) in a process, shared by all threads: making a client is the costly part,
and a made client is thread-safe. Clients are made at first use (a cold start that never needs a service pays
nothing for it), from boto3's default session, and made again when that session or the region changes: each test's
moto mock makes a new default session, and local/bridge.py hooks the default session to answer Lambda in process.
The session object itself is compared, not its id(): a new session may be allocated where a freed one was."""
import threading

import boto3
from botocore.config import Config

from chalicelib.config import settings

_lock = threading.Lock()
_shared = type("ProcessWide", (), {"clients": {}, "key": None})()


def bounded(attempts: int, connect_seconds: float, read_seconds: float) -> Config:
    """Standard-mode retries, `attempts` in all, each bounded by its connect and read timeouts."""
    return Config(retries={"mode": "standard", "max_attempts": attempts}, connect_timeout=connect_seconds,
                  read_timeout=read_seconds)


def client(service: str, config: Config, purpose: str = ""):
    """The process's client of `service` for `purpose` (one config per purpose: a purpose names its bounds)."""
    region = settings().region
    with _lock:
        if boto3.DEFAULT_SESSION is None:
            boto3.setup_default_session()
        key = (boto3.DEFAULT_SESSION, region)
        if _shared.key is None or _shared.key[0] is not key[0] or _shared.key[1] != key[1]:
            _shared.clients, _shared.key = {}, key
        made = _shared.clients.get((service, purpose))
        if made is None:
            made = _shared.clients[(service, purpose)] = boto3.client(service, region_name=region, config=config)
        return made
