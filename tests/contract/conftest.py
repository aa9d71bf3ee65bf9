"""The contract suite's two implementations of every storage port: SQLite (a fresh file; `make test-fast` runs these)
and the DynamoDB repositories on moto's DynamoDB (the `engine` machinery of tests/conftest.py)."""
import pytest

from chalicelib import clock

from tests.conftest import ENGINES as IMPLEMENTATIONS  # sqlite, moto (and `make test-dynamodb`'s endpoint)


def pytest_generate_tests(metafunc):
    if "repos" in metafunc.fixturenames:
        metafunc.parametrize("engine", IMPLEMENTATIONS, indirect=True)


REPOSITORIES = ("accounts", "tokens", "audit_runs", "stores", "devices", "events", "receipts", "shifts", "findings",
                "integrations")


class Repos:
    """The eight repositories of one implementation, by their port names."""

    def __init__(self, engine: str, repositories: dict):
        self.engine = engine
        for name, repository in repositories.items():
            setattr(self, name, repository)


@pytest.fixture
def repos(engine):
    """The repositories exactly as production wires them (chalicelib.wiring), on empty storage: moto's DynamoDB
    tables, or a fresh SQLite file."""
    from chalicelib import wiring
    from chalicelib.adapters import models
    from local import stack

    clock.set_now(None)
    with stack.engine_environment(engine):
        if engine == "moto":
            models.bind()
            models.create_tables()  # (the dynamodb engine made its tables once, and emptied them)
        built = wiring.adapters()
        yield Repos(engine, {name: getattr(built, name) for name in REPOSITORIES})
