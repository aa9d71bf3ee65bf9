"""Issue 26 item 3: the schemas' literals and limits are the domain's. Each named enumeration of the document is
either read from its source of truth (the table below) or listed as the API's own; a literal that differs from
its enum fails here, and so does a new enumeration nobody classified."""
import typing

import pytest

from chalicelib.api.http import schema
from chalicelib.domain import actors, audit, deletion, devices, final_sync, roles, sales
from chalicelib.services import deletion as deletion_service
from chalicelib.services import pairing, webhooks

# component name -> the values its source of truth allows, in that order
FROM_THE_DOMAIN = {
    "Role": [role.value for role in roles.Role],
    "DeviceStatus": [status.value for status in devices.Status if status != devices.Status.DELETED],
    "DeletionStatus": [status.value for status in deletion.DeletionStatus],
    "DeletionRoute": [route.value for route in deletion.Route],
    "DeletionStepName": [step.value for step in deletion.Step],
    "DeletionErrorCode": [cls.code for cls in (deletion_service.OpenTickets, deletion_service.ShiftOpen,
                                               deletion_service.ReceiptsNotSynced, deletion_service.DeletionBlocked)],
    "FindingType": [*audit.FINDING_TYPES, *sorted(audit.RAISED_ONCE)],
    "ActorType": list(actors.TYPES),
    "SalesGroup": list(sales.GROUPS),
}
# Compared as sets: the document keeps its own (readable) order.
SAME_VALUES = {"WebhookEventType": webhooks.EVENT_TYPES}
# Enumerations only the API has (no domain enum to copy): what a client sends or what the API reports.
API_ONLY = {"Currency", "ReceiptType", "FindingStatus", "ApiTokenAccess", "DeliveryStatus"}


def _named():
    return schema("NAMED_SCHEMAS")


@pytest.mark.parametrize("name", sorted(FROM_THE_DOMAIN))
def test_a_named_enum_is_its_domain_enum(name):
    assert _named()[name]["enum"] == FROM_THE_DOMAIN[name]


@pytest.mark.parametrize("name", sorted(SAME_VALUES))
def test_a_named_enum_holds_the_values_of_its_source(name):
    assert sorted(_named()[name]["enum"]) == sorted(SAME_VALUES[name])


def test_every_named_enum_is_classified():
    enums = {name for name, component in _named().items() if "enum" in component}
    assert enums == set(FROM_THE_DOMAIN) | set(SAME_VALUES) | API_ONLY


def _literal_values(annotation) -> list:
    """The values of a field's Literal, through Annotated and Optional."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) is typing.Literal:
        return list(typing.get_args(annotation))
    for arg in typing.get_args(annotation):
        values = _literal_values(arg)
        if values:
            return values
    return []


@pytest.mark.parametrize(("model", "field", "component"), [
    ("EmployeeOut", "role", "Role"), ("EmployeeIn", "role", "Role"), ("DeviceOut", "status", "DeviceStatus"),
    ("DeviceQuery", "status", "DeviceStatus"), ("FindingOut", "type", "FindingType"), ("Actor", "type", "ActorType"),
    ("DeletionError", "code", "DeletionErrorCode"), ("SalesSummaryQuery", "group_by", "SalesGroup")])
def test_a_field_validates_what_its_component_publishes(model, field, component):
    # The field's Literal (what validation accepts) and the component (what the document says) are one list.
    assert _literal_values(schema(model).model_fields[field].annotation) == _named()[component]["enum"]


def test_the_check_sees_a_literal_that_differs_from_its_enum():
    # A hand-copied literal missing a role is told apart from the enum (what the checks above compare).
    copied = typing.Annotated[typing.Literal["OWNER", "MANAGER", "CASHIER"] | None, "x"]
    assert _literal_values(copied) == ["OWNER", "MANAGER", "CASHIER"] != FROM_THE_DOMAIN["Role"]


def _bounds(model: str, field: str) -> tuple:
    metadata = schema(model).model_fields[field].metadata
    low = next(m.ge for m in metadata if getattr(m, "ge", None) is not None)
    high = next(m.le for m in metadata if getattr(m, "le", None) is not None)
    return low, high


def test_the_limits_are_the_domain_ones():
    assert _bounds("DeactivateIn", "final_sync_hours") == (0, final_sync.MAX_FINAL_SYNC_HOURS)
    assert _bounds("PairingCodeIn", "expires_in_seconds") == (pairing.MIN_EXPIRES_IN, pairing.MAX_EXPIRES_IN)
    assert schema("PairingCodeIn").model_fields["expires_in_seconds"].default == pairing.DEFAULT_EXPIRES_IN
    name = schema("StoreIn").model_json_schema()["properties"]["name"]
    assert name["maxLength"] == devices.MAX_NAME_LENGTH
