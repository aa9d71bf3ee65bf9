"""Issue 26 item 4: endpoint() is a short pipeline whose business rules come from outside the HTTP layer.
chalicelib/api/http.py imports no use case and no domain rule (the authenticators of chalicelib/api/auth.py
bring them); the read-only rule of an API token is checked once, in domain/roles.py."""
import ast
import pathlib

import pytest

from chalicelib import i18n
from chalicelib.api import auth, http
from chalicelib.domain.roles import PERMISSIONS, require_permission
from chalicelib.errors import Forbidden

HTTP = pathlib.Path(http.__file__)


def _imported(path: pathlib.Path) -> set[str]:
    """What the module imports when it runs (`if TYPE_CHECKING:` blocks, for type hints only, aside)."""
    tree = ast.parse(path.read_text())
    hints = {id(node) for block in ast.walk(tree)
             if isinstance(block, ast.If) and getattr(block.test, "id", None) == "TYPE_CHECKING"
             for node in ast.walk(block)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in hints:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_the_http_layer_imports_no_use_case_and_no_domain_rule():
    imported = {name for name in _imported(HTTP) if name.startswith("chalicelib")}
    assert imported, "the scan sees http.py's imports"
    assert not {name for name in imported if name.startswith(("chalicelib.services", "chalicelib.domain"))}
    # the check above fails on what http.py used to import
    assert {"chalicelib.services.accounts", "chalicelib.domain.roles"} <= _imported(pathlib.Path(auth.__file__))


@pytest.mark.parametrize("permission", sorted(PERMISSIONS))
def test_a_read_only_token_may_not_write_whatever_the_route_needs(permission):
    with pytest.raises(Forbidden) as refused:
        require_permission(None, permission, writes=True, read_only=True, api_token=True)
    assert refused.value.code == "API_TOKEN_READ_ONLY"


def test_a_read_only_token_reads_as_a_write_token_does():
    require_permission(None, "records.read", writes=False, read_only=True, api_token=True)
    require_permission(None, "audit.run", writes=False, read_only=True, api_token=True)  # GET /v1/audit/runs/{id}
    for read_only in (False, True):
        with pytest.raises(Forbidden) as refused:
            require_permission(None, "integrations.manage", writes=False, read_only=read_only, api_token=True)
        assert refused.value.code == "API_TOKEN_FORBIDDEN"


def test_every_operation_that_writes_is_not_a_get_and_the_reverse():
    import app  # noqa: F401  (registers the routes)

    for op in http.OPERATIONS:
        assert op.writes == (op.method not in ("GET", "HEAD", "OPTIONS"))
        assert op.auth == (op.authenticator.scheme if op.authenticator else None)


def test_the_request_language_is_reset_after_the_block_even_on_error():
    assert i18n.current() == "en"
    with pytest.raises(RuntimeError), http.request_language({"accept-language": "pl-PL,pl;q=0.9"}):
        assert i18n.current() == "pl"
        raise RuntimeError
    assert i18n.current() == "en"


def test_an_authenticator_refuses_a_wrong_declaration():
    with pytest.raises(ValueError, match="only back-office routes"):
        auth.DEVICE.declare("GET", "/v1/x", "records.read")
    with pytest.raises(ValueError, match="permission"):
        auth.BACK_OFFICE.declare("GET", "/v1/x", None)
