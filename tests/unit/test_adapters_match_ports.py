"""Every port's methods, with the same parameters, on the SQLite adapters, the AWS adapters that wiring builds and
the unit tests' fakes of the AWS services: a method added to a port or an adapter cannot be forgotten elsewhere."""
import dataclasses
import inspect
import typing

import pytest

from chalicelib import wiring
from chalicelib.adapters import sqlite
from tests.unit.aws_fakes import sqlite_adapters

PORTS = {field.name: typing.get_type_hints(wiring.Adapters)[field.name] for field in dataclasses.fields(wiring.Adapters)}


def _methods(protocol) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in vars(protocol).items()
            if callable(member) and not name.startswith("_")}


def _parameters(signature: inspect.Signature) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in signature.parameters.values() if p.name != "self"]


def test_every_port_is_wired():
    assert set(PORTS) == {"accounts", "tokens", "audit_runs", "stores", "devices", "events", "receipts", "shifts",
                          "findings", "integrations", "workflow", "fanout", "secrets", "mailer"}
    assert all(issubclass(protocol, typing.Protocol) for protocol in PORTS.values())
    assert sum(len(_methods(protocol)) for protocol in PORTS.values()) >= 50


@pytest.mark.parametrize("implementation", ["unit tests", "sqlite", "aws"])
@pytest.mark.parametrize("port", sorted(PORTS))
def test_implementation_has_the_ports_methods(port, implementation):
    adapters = {"unit tests": sqlite_adapters, "sqlite": lambda: wiring._sqlite(sqlite.MEMORY),
                "aws": wiring._aws}[implementation]()
    adapter = getattr(adapters, port)
    for name, signature in _methods(PORTS[port]).items():
        method = getattr(adapter, name, None)
        assert callable(method), f"{implementation} {port} lacks {name}"
        assert _parameters(inspect.signature(method)) == _parameters(signature), f"{implementation} {port}.{name}"
