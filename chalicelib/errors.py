"""One error tree. Each error has a stable code and an HTTP status; the API maps them in one place.

An error's sentence comes from the message catalog (chalicelib/i18n): `key` (the code by default) and
`params`, rendered in the caller's language when the response is written. Raise with a key, not a
sentence: `Conflict(code="NAME_TAKEN", field="name", params={"name": name})`; a key other than the code
when one code has several sentences (`NotFound(key="NOT_FOUND.store")`). A plain English `details`
still works but is never translated (tests/unit/test_i18n_catalog.py refuses it in chalicelib/).
"""
from chalicelib import i18n


class DomainError(Exception):
    status = 400
    code = "BAD_REQUEST"
    default_details = "The request cannot be processed."

    def __init__(self, details: str | None = None, field: str | None = None, code: str | None = None, *,
                 key: str | None = None, params: dict | None = None):
        self.field = field
        if code:
            self.code = code
        self.key = key or (None if details else self.code)
        self.params = dict(params or {})
        self.fallback = details or self.default_details
        super().__init__(self.details)

    @property
    def details(self) -> str:
        """The English sentence (logs, tests, the workflow's error messages)."""
        return i18n.render(self.key, self.params, "en", fallback=self.fallback)

    def render(self, language: str | None = None) -> str:
        return i18n.render(self.key, self.params, language, fallback=self.fallback)

    def to_dict(self, language: str | None = None) -> dict:
        return {"code": self.code, "details": self.render(language), "field": self.field}


class ValidationFailed(DomainError):
    """Several field errors at once."""

    status = 400
    code = "VALIDATION_ERROR"

    def __init__(self, errors: list[dict]):
        self.errors = errors  # [{code, details (English), field, key?, params?}]
        super().__init__(errors[0]["details"] if errors else None)

    def to_dict(self, language: str | None = None) -> dict:
        return self.items(language)[0] if self.errors else super().to_dict(language)

    def items(self, language: str | None = None) -> list[dict]:
        return [{"code": e["code"], "field": e.get("field"),
                 "details": i18n.render(e.get("key"), e.get("params"), language, fallback=e["details"])}
                for e in self.errors]


class InvalidInput(DomainError):
    status = 400
    code = "VALIDATION_ERROR"


class MalformedJson(DomainError):
    status = 400
    code = "MALFORMED_JSON"
    default_details = "The request body is not valid JSON."


class InvalidCursor(DomainError):
    status = 400
    code = "INVALID_CURSOR"
    default_details = "The cursor is not valid; start again without it."


class Unauthenticated(DomainError):
    status = 401
    code = "UNAUTHENTICATED"
    default_details = "Sign in first: the token is missing, invalid or expired."


class InvalidCredentials(DomainError):
    status = 401
    code = "INVALID_CREDENTIALS"
    default_details = "The e-mail or password is wrong."


class DeviceDeactivated(DomainError):
    status = 401
    code = "DEVICE_DEACTIVATED"
    default_details = "This POS was deactivated in the back office; log in and activate a POS again."


class PairingCodeInvalid(DomainError):
    status = 401
    code = "PAIRING_CODE_INVALID"
    default_details = "This pairing code is wrong, expired or already used; ask for a new code in the back office."


class InvitationInvalid(DomainError):
    status = 401
    code = "INVITATION_INVALID"
    default_details = "This invitation link is wrong, expired or already used; ask for a new one."


class DeviceDeleted(DomainError):
    status = 401
    code = "DEVICE_DELETED"
    default_details = "This POS was deleted in the back office."


class Forbidden(DomainError):
    status = 403
    code = "FORBIDDEN"
    default_details = "Your role does not allow this."


class NotFound(DomainError):
    status = 404
    code = "NOT_FOUND"
    default_details = "Not found."


class Conflict(DomainError):
    status = 409
    code = "CONFLICT"
    default_details = "The request conflicts with the current state."


class IllegalTransition(Conflict):
    code = "ILLEGAL_TRANSITION"


class PayloadTooLarge(DomainError):
    status = 413
    code = "PAYLOAD_TOO_LARGE"
    default_details = "The request body is too large."


class TooManyRequests(DomainError):
    status = 429
    code = "TOO_MANY_ATTEMPTS"
    default_details = "Too many failed attempts; try again later."
    retry_after = 900  # seconds, the Retry-After header; set per error to what is left of its window


def too_many_attempts(key: str, retry_in: int) -> TooManyRequests:
    """429 for a window that ends in `retry_in` seconds: the sentence says the whole minutes to wait, rounded up
    (a 15-minute window says 15, not 16), and Retry-After the seconds."""
    retry_in = max(1, int(retry_in))
    error = TooManyRequests(key=key, params={"minutes": -(-retry_in // 60)})
    error.retry_after = retry_in
    return error


class ServiceUnavailable(DomainError):
    """A transient storage failure that outlived our retries; nothing was half-written."""

    status = 503
    code = "SERVICE_UNAVAILABLE"
    default_details = "The service is busy; retry the request."


class InternalError(DomainError):
    status = 500
    code = "INTERNAL"
    default_details = "Something went wrong on our side; it has been logged."
