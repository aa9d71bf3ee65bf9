"""Every port's methods, with the same parameters, on the fakes (tests/unit/fakes.py) and on the AWS adapters
that wiring builds: a method added to a port or an adapter cannot be forgotten on the other side."""
import dataclasses
import inspect
import typing

import pytest

from chalicelib import wiring
from tests.unit.fakes import fake_adapters

PORTS = {field.name: typing.get_type_hints(wiring.Adapters)[field.name] for field in dataclasses.fields(wiring.Adapters)}


def _methods(protocol) -> dict[str, inspect.Signature]:
    return {name: inspect.signature(member) for name, member in vars(protocol).items()
            if callable(member) and not name.startswith("_")}


def _parameters(signature: inspect.Signature) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in signature.parameters.values() if p.name != "self"]


def test_every_port_is_wired():
    assert set(PORTS) == {"accounts", "tokens", "stores", "devices", "events", "receipts", "shifts", "findings",
                          "workflow", "fanout", "secrets"}
    assert all(issubclass(protocol, typing.Protocol) for protocol in PORTS.values())
    assert sum(len(_methods(protocol)) for protocol in PORTS.values()) >= 50


@pytest.mark.parametrize("implementation", ["fake", "aws"])
@pytest.mark.parametrize("port", sorted(PORTS))
def test_implementation_has_the_ports_methods(port, implementation):
    adapters = fake_adapters() if implementation == "fake" else wiring._aws()
    adapter = getattr(adapters, port)
    for name, signature in _methods(PORTS[port]).items():
        method = getattr(adapter, name, None)
        assert callable(method), f"{implementation} {port} lacks {name}"
        assert _parameters(inspect.signature(method)) == _parameters(signature), f"{implementation} {port}.{name}"
