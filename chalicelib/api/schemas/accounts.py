"""Sign-up, login, stores, employees and invitations (chalicelib/api/accounts_routes.py)."""
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StringConstraints, model_validator

from chalicelib.api import presenters
from chalicelib.api.schemas.base import (Email, Id, Instant, Name, Out, Password, Pin, Strict, Text, TimeZone,
                                         attributes, named_enum)
from chalicelib.domain import roles

Role = named_enum("Role", Literal[tuple(role.value for role in roles.Role)],
                  "OWNER is the merchant's one owner, made at sign-up: an employee cannot be created as or made OWNER "
                  "(400 ONE_OWNER), nor can the owner's role change (409 OWNER_ROLE_FIXED). ADMINISTRATOR: everything "
                  "but changing the owner or an administrator (only the owner makes one). MANAGER: the stores in "
                  "store_ids only, no store or employee management. CASHIER: the POS app only (DESIGN.md 3.2).")


# ---------------------------------------------------------------- requests


# ISO 4217 codes the back office offers (money is always an integer in the currency's minor units).
Currency = named_enum("Currency", Literal["PLN", "EUR", "USD", "GBP", "CZK", "CHF", "SEK", "NOK", "DKK", "HUF", "UAH",
                                          "RON"], "ISO 4217 code; amounts are integers in its minor units")


class SignupIn(Strict):
    business_name: Name
    email: Email
    password: Password
    currency: Currency = Field(None, description="Default: PLN for Accept-Language pl, else EUR")
    owner_name: Name = Field(None, description="The owner's name (the back office greets them); default: the "
                                               "business name")
    time_zone: TimeZone = Field(None, description="Default: Europe/Warsaw for Accept-Language pl, else UTC")


class LoginIn(Strict):
    email: Email
    password: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class StoreIn(Strict):
    name: Name
    address: Text | None = None


class StorePatch(Strict):
    name: Name | None = None
    address: Text | None = None


class EmployeeIn(Strict):
    """No `password` (400 UNKNOWN_FIELD): nobody sets another person's password; back-office access comes with an
    invitation (POST /v1/employees/{employee_id}/invitation)."""
    name: Name
    role: Role
    email: Email | None = None
    pin: Pin | None = None
    store_ids: list[Id] = Field(default_factory=list, max_length=100)


class EmployeePatch(Strict):
    """Omitted means "unchanged"; an explicit null is refused (400) for fields an employee must have. `password`
    only on one's own record (else 400 PASSWORD_NOT_YOURS: send an invitation)."""
    name: Name = None
    role: Role = None
    email: Email | None = None
    password: Password | None = None
    pin: Pin | None = None
    store_ids: list[Id] = Field(default=None, max_length=100)


class MerchantOut(Out):
    id: str
    business_name: str
    # Accounts made before currencies were kept: EUR, the old implied default.
    currency: Annotated[str, BeforeValidator(lambda value: value or "EUR")] = "EUR"
    # Accounts made before time zones were kept: UTC.
    time_zone: Annotated[str, BeforeValidator(lambda value: value or "UTC")] = "UTC"
    created_at: Instant


class EmployeeOut(Out):
    id: str
    name: str
    email: str | None = None
    role: Role
    store_ids: Annotated[list[str], BeforeValidator(lambda value: list(value or []))] = []
    # PINs and password hashes are write-only: only whether a PIN is set.
    has_pin: Annotated[bool, BeforeValidator(bool)] = Field(False, validation_alias="pin_hash")
    access: Literal["NONE", "INVITED", "ACTIVE"] = Field(
        "NONE", description="Back-office access: NONE (no password, no live invitation), INVITED (an invitation "
                            "is waiting to be accepted until invitation_expires_at), ACTIVE (the employee has set "
                            "a password).")
    invitation_expires_at: Instant | None = Field(None, description="When the live invitation expires; null when "
                                                                     "none is waiting.")
    created_at: Instant
    updated_at: Instant

    @model_validator(mode="before")
    @classmethod
    def _access(cls, employee):
        return presenters.employee_fields(attributes(employee))


class StoreOut(Out):
    id: str
    name: str
    address: str | None = None
    created_at: Instant


class SignupOut(Out):
    merchant: MerchantOut
    employee: EmployeeOut
    store: "StoreOut"
    token: str
    expires_at: Instant


class LoginOut(Out):
    token: str
    expires_at: Instant
    employee: EmployeeOut
    merchant: MerchantOut


class InvitationOut(Out):
    invitation_url: str | None = Field(description="The SPA's page that sets the password: "
                                                   "<origin>/#/invitation?token=…; shown once, give it to the employee; "
                                                   "null when it was e-mailed (`sent_to`).")
    token: str | None = Field(description="The invitation's token (the link carries it); null when it was e-mailed.")
    sent_to: str | None = Field(description="The address the link was e-mailed to (a mail sender is configured: "
                                            "INVITATION_SENDER); null when the link is returned instead.")
    expires_at: Instant
    employee: EmployeeOut


class InvitationAcceptIn(Strict):
    token: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    password: Password


class InvitationAcceptOut(Out):
    token: str
    expires_at: Instant
    employee: EmployeeOut
