"""Sends one webhook delivery over HTTP(S) with urllib3 (installed with botocore): no retries here (the dispatcher
retries with backoff), no redirects followed, a bounded time per attempt.

SSRF guard (DESIGN.md 3.3): in strict mode (on AWS) the URL must be https and every address its host resolves to
must be public; the connection then goes to the address that was checked (the TLS name and Host header stay the
host's), so a DNS answer that changes between the check and the connection cannot reach a private address."""
from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3


class UrlRefused(Exception):
    """The URL may not be called (scheme, or an address that is not public); `reason` is a short code."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Answer:
    status: int | None  # None when no HTTP answer came (timeout, refused connection, refused URL)
    error: str | None


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved or ip.is_multicast
                or ip.is_unspecified or not ip.is_global)


def check_url(url: str, strict: bool) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) of an allowed URL, or UrlRefused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UrlRefused("scheme")
    if parts.username or parts.password:
        raise UrlRefused("credentials")
    if strict and parts.scheme != "https":
        raise UrlRefused("https_required")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UrlRefused("port") from None
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UrlRefused("unresolvable") from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise UrlRefused("unresolvable")
    if strict and not all(_public(a) for a in addresses):
        raise UrlRefused("private_address")
    return parts.scheme, parts.hostname, port, addresses[0]


def send(url: str, body: bytes, headers: dict, timeout: float, strict: bool) -> Answer:
    try:
        scheme, host, port, address = check_url(url, strict)
    except UrlRefused as refused:
        return Answer(None, f"URL refused: {refused.reason}")
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = host if port in (80, 443) else f"{host}:{port}"
    timeout_ = urllib3.Timeout(connect=timeout, read=timeout)
    if scheme == "https":
        pool = urllib3.HTTPSConnectionPool(address, port, timeout=timeout_, retries=False, maxsize=1,
                                           server_hostname=host, assert_hostname=host)
    else:
        pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout_, retries=False, maxsize=1)
    try:
        response = pool.urlopen("POST", path, body=body, headers={**headers, "Host": host_header}, redirect=False,
                                retries=False, preload_content=False)
        response.read(64 * 1024)  # the answer's body is not kept; read a little so that the connection ends well
        response.release_conn()
        return Answer(response.status, None if 200 <= response.status < 300 else f"HTTP {response.status}")
    except urllib3.exceptions.TimeoutError:
        return Answer(None, "timeout")
    except urllib3.exceptions.HTTPError as exc:
        return Answer(None, type(exc).__name__)
    finally:
        pool.close()
