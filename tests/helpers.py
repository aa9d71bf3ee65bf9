"""Small helpers the test modules share (no fixtures: those live in the conftest files)."""
from __future__ import annotations

from collections.abc import Callable


def raising(exc: BaseException | type[BaseException]) -> Callable[..., None]:
    """A stand-in that takes any arguments and raises `exc` (a class is instantiated anew on every call):

        monkeypatch.setattr(adapters.devices, "create", raising(ports.UnknownStore()))
    """
    def stand_in(*_args, **_kwargs):
        raise exc() if isinstance(exc, type) else exc

    return stand_in
