"""The contract suite's two implementations of every storage port: SQLite (in memory; `make test-fast` runs these)
and the DynamoDB repositories on moto's DynamoDB (the `engine` machinery of tests/conftest.py)."""
import contextlib

import pytest

from chalicelib import clock

IMPLEMENTATIONS = ["sqlite", "moto"]


def pytest_generate_tests(metafunc):
    if "repos" in metafunc.fixturenames:
        metafunc.parametrize("engine", IMPLEMENTATIONS, indirect=True)


@contextlib.contextmanager
def _real_tables(dynamodb_endpoint: str | None):
    """Empty tables of the real repositories: in moto's DynamoDB, or in DynamoDB Local (this process's tables,
    made once and emptied for each test, as tests/conftest.py's `aws` does)."""
    from chalicelib.adapters import models
    from local import stack

    with stack.engine_environment(dynamodb_endpoint):
        models.bind()
        models.create_tables()
        yield


def _real_repositories() -> dict:
    """The repositories exactly as production wires them."""
    from chalicelib import wiring

    built = wiring._aws()
    return {name: getattr(built, name) for name in REPOSITORIES}


REPOSITORIES = ("accounts", "tokens", "stores", "devices", "events", "receipts", "shifts", "findings")


class Repos:
    """The eight repositories of one implementation, by their port names."""

    def __init__(self, engine: str, repositories: dict):
        self.engine = engine
        for name, repository in repositories.items():
            setattr(self, name, repository)


@pytest.fixture
def repos(engine, dynamodb_endpoint):
    clock.set_now(None)
    if engine == "sqlite":
        from chalicelib.adapters import sqlite

        database = sqlite.Database(sqlite.MEMORY)
        yield Repos(engine, sqlite.repositories(database))
        database.close()
        return
    with _real_tables(dynamodb_endpoint):
        yield Repos(engine, _real_repositories())

