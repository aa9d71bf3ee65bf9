"""The contract suite's implementations: the in-memory fakes (marked `fake`, the fast target selects them), and
the real repositories on moto's DynamoDB and on DynamoDB Local (the `engine` machinery of tests/conftest.py)."""
import contextlib

import pytest

from chalicelib import clock
from tests.unit.fakes import fake_repositories

IMPLEMENTATIONS = [pytest.param("fake", marks=pytest.mark.fake), "moto", "dynamodb_local"]


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
    if engine == "fake":
        yield Repos(engine, fake_repositories())
        return
    with _real_tables(dynamodb_endpoint):
        yield Repos(engine, _real_repositories())

