"""The API request's time budget (issue 22.19): API Gateway gives up after 29 s, the function after its timeout
(infra/functions.yml: 20 s), so a request must answer 503 before either.

`endpoint()` (chalicelib/api/http.py) starts the budget for each request (REQUEST_BUDGET_SECONDS); storage consults
it before every attempt it sends, its retries included (a DynamoDB request: the `before-send` hook that
chalicelib/adapters/models.py puts on PynamoDB's clients; SQLite: its busy timeout is cut to what is left), and
the use cases' own retry loops before they back off. Spent: ServiceUnavailable (503, the contract's shape), and
the attempt is never sent. Outside a request (the Lambda tasks, the audit) there is no budget."""
from __future__ import annotations

import contextlib
import contextvars
import logging
import time

from chalicelib.errors import ServiceUnavailable

log = logging.getLogger(__name__)
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("request_deadline", default=None)


def start(seconds: float) -> contextvars.Token:
    """The budget of the request starting now; `end(token)` when it has answered."""
    return _deadline.set(time.monotonic() + seconds)


def end(token: contextvars.Token) -> None:
    _deadline.reset(token)


@contextlib.contextmanager
def budget(seconds: float):
    token = start(seconds)
    try:
        yield
    finally:
        end(token)


def remaining() -> float | None:
    """Seconds left of the request's budget (never below 0); None outside a request."""
    deadline = _deadline.get()
    return None if deadline is None else max(0.0, deadline - time.monotonic())


def check() -> None:
    """ServiceUnavailable when the request's budget is spent."""
    left = remaining()
    if left is not None and left <= 0:
        log.warning("request budget spent: answering 503", extra={"event": "request_budget_spent"})
        raise ServiceUnavailable()


def pause(seconds: float) -> None:
    """A retry loop's backoff: never past the budget (then ServiceUnavailable instead of sleeping in vain)."""
    left = remaining()
    if left is not None and left <= seconds:
        time.sleep(left)  # a retry after the pause would start with the budget spent: answer now
        log.warning("request budget spent: answering 503", extra={"event": "request_budget_spent"})
        raise ServiceUnavailable()
    time.sleep(seconds)


def before_send(**_kwargs) -> None:
    """botocore's `before-send` hook: every attempt, retries included, first checks the budget."""
    check()
