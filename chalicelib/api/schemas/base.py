"""What every resource's schemas use: the field types (names, e-mails, moments, ids), the named enumerations of
the document, the request and response bases, the error shape and the list wrapper."""
import re
from datetime import UTC, datetime
from enum import Enum
from typing import Annotated

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationInfo,
                      WithJsonSchema, create_model)
from pydantic_core import PydanticCustomError

from chalicelib.domain.devices import MAX_NAME_LENGTH
from chalicelib.i18n import text_of

# Names: trimmed, non-empty, printable.
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME_LENGTH,
                                       pattern=r"^[^\x00-\x1f\x7f]+$")]
Text = Annotated[str, StringConstraints(max_length=500, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]
Password = Annotated[str, StringConstraints(min_length=8, max_length=128)]
Pin = Annotated[str, StringConstraints(pattern=r"^[0-9]{4}$")]
Id = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9-]+$")]


def _integral(value):
    # JSON Schema's integer is any number without a fraction (62.0 is one); strict pydantic takes only 62.
    return int(value) if type(value) is float and value.is_integer() else value


def integer(**constraints):
    """An int field (constraints first, so that the document shows them; then 62.0 is read as 62)."""
    return Annotated[int, Field(**constraints), BeforeValidator(_integral)]


Money = integer(ge=0, le=10**12)


def _email(value: str) -> str:
    """An e-mail address (email_validator's syntax, no DNS look-up). Addresses at `.test` are accepted (test data);
    the other special-use names (.localhost, .invalid, .local, .onion, .arpa) and a domain without a dot are not:
    the document says so with EMAIL_SCHEMA's patterns."""
    import email_validator  # loaded with the schemas, as pydantic's EmailStr did

    try:
        return email_validator.validate_email(value, check_deliverability=False, test_environment=True).normalized
    except email_validator.EmailNotValidError as exc:
        raise PydanticCustomError("value_error", "value is not a valid email address: {reason}",
                                  {"reason": str(exc.args[0])}) from None


EMAIL_SCHEMA = {
    "type": "string", "format": "email", "maxLength": 254, "pattern": r"^[^@\s]+@[^@\s]+\.[^@\s.]+$",
    "not": {"pattern": r"\.(" + "|".join("".join(f"[{c}{c.upper()}]" for c in name)
                                           for name in ("localhost", "invalid", "local", "onion", "arpa")) + ")$"},
    "description": "An e-mail address whose domain has a dot; `.test` is accepted, the other special-use names "
                   "(.localhost, .invalid, .local, .onion, .arpa) are refused with 400 VALIDATION_ERROR.",
    "examples": ["anna@example.com"]}
Email = Annotated[str, StringConstraints(max_length=254), AfterValidator(_email), WithJsonSchema(EMAIL_SCHEMA)]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise PydanticCustomError("timestamp_zone", "needs a time zone, e.g. 2026-11-24T10:00:00Z")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:00:00-05:00 is past the last UTC date Python has
        raise PydanticCustomError("timestamp_range", "is out of range") from None


def _iso_text(value):
    # ISO 8601 text only: pydantic alone would read "0", "0.0" or "1700000000" as Unix time.
    if not isinstance(value, str):
        return value  # a JSON number: refused by the (strict) datetime validator
    if not re.match(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}", value):
        raise PydanticCustomError("timestamp_format", "must be an ISO 8601 date-time, e.g. 2026-11-24T10:00:00Z")
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:  # "2026-13-01T00:00:00Z": pydantic's own "Value error, month must be in 1..12" is English
        raise PydanticCustomError("timestamp_format", "must be an ISO 8601 date-time, e.g. 2026-11-24T10:00:00Z") \
            from None


def _time_zone(value: str) -> str:
    """An IANA time zone name the server knows (zoneinfo), e.g. Europe/Warsaw."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        if value in ("localtime", "posixrules", "Factory"):  # files of the zone database that are not zones
            raise ValueError(value)
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise PydanticCustomError("time_zone", "must be an IANA time zone name, e.g. Europe/Warsaw") from None
    return value


TimeZone = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_+/-]*$"),
                     AfterValidator(_time_zone),
                     # Not an enum of the ~600 zone names: they differ from machine to machine, and generated clients
                     # cannot name them apart (GMT0, GMT+0, GMT-0).
                     WithJsonSchema({"type": "string", "maxLength": 64, "pattern": r"^[A-Za-z][A-Za-z0-9_+/-]*$",
                                     "examples": ["Europe/Warsaw"],
                                     "description": "An IANA time zone name (what decides a day of the sales "
                                                    "summary); an unknown one: 400 UNKNOWN_TIME_ZONE."})]


Timestamp = Annotated[datetime, BeforeValidator(_iso_text), AfterValidator(_utc),
                      WithJsonSchema({"type": "string", "format": "date-time",
                                      "description": "RFC 3339 / ISO 8601 with a time zone, e.g. 2026-11-24T10:00:00Z. "
                                                     "Refused (400 VALIDATION_ERROR): a leap second (:60) and a moment "
                                                     "outside years 0001-9999 once in UTC."})]
# A moment in a response: UTC, RFC 3339 (clock.iso), e.g. 2026-11-24T10:00:00.123Z.
Instant = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]

# Enumerations get a name in the document (components/schemas/<name>), so that a generated client has a type for
# each: the field keeps its Literal (validation as before), its schema becomes {"x-ref": name}, which
# chalicelib/api/openapi.py turns into a $ref to the component NAMED_SCHEMAS[name] (pydantic cannot hold a $ref
# to a schema it did not make).
NAMED_SCHEMAS: dict[str, dict] = {}


def named_enum(name: str, literal, description: str = ""):
    values = list(literal.__args__)
    NAMED_SCHEMAS[name] = {"type": "string", "enum": values} | ({"description": description} if description else {})
    return Annotated[literal, WithJsonSchema({"x-ref": name})]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


class Loose(BaseModel):
    """Query strings arrive as text: numbers and booleans are converted, unknown names rejected."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class Page(Loose):
    limit: Annotated[int, Field(ge=1, le=250)] = 50
    cursor: Annotated[str, StringConstraints(max_length=2000)] | None = None


class NoQuery(Loose):
    pass


# ---------------------------------------------------------------- responses
# A response model is also what builds the response (chalicelib/api/http.py validates a handler's result with
# the route's model and dumps it): it reads its fields from a stored record (a dict) or a domain object
# (attributes) and drops everything else, secrets included. Only what is derived is written out below.
# Fields with a default are still always in the response, so the document lists them as required.


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="ignore", json_schema_serialization_defaults_required=True,
                              defer_build=True)


def attributes(source) -> dict:
    """A response's source as a dict: a stored record is one; a domain object (a dataclass) gives its fields."""
    return source if isinstance(source, dict) else vars(source)


def from_context(info: ValidationInfo, name: str):
    return (info.context or {}).get(name)


def message(record: dict) -> str:
    """A stored message (`{key, params}`, or an old record's sentence) in the request's language."""
    return text_of(record) or record.get("details") or ""


def enum_value(value):
    return value.value if isinstance(value, Enum) else value


class ErrorItem(BaseModel):
    code: str
    details: str
    field: str | None


class ErrorOut(BaseModel):
    errors: list[ErrorItem]


def list_schema(key: str, item: type[BaseModel]) -> type[BaseModel]:
    return create_model(f"{item.__name__.removesuffix('Out')}List", __base__=Out, **{key: (list[item], ...)},
                        cursor=(str | None, ...))
