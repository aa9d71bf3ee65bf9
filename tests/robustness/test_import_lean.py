"""Issue 8.6 (guard for bench/cold_start.py): importing the app creates nothing (no botocore client, no PynamoDB
connection, no boto3 default session), and it answers the OpenAPI document and a 401 without any AWS at all."""
from bench.cold_start import APP, run


def test_importing_the_app_creates_no_aws_client_and_needs_no_aws():
    figures = run(APP)  # a fresh interpreter, with no AWS endpoint or credentials in its environment
    assert figures["made_at_import"] == {"botocore_clients": 0, "pynamodb_connections": 0,
                                         "boto3_default_session": False}
    # Neither request touched AWS: the document is static, and a missing token is refused before any read.
    assert figures["made_in_total"] == figures["made_at_import"]
    assert figures["openapi_bytes"] > 10_000


# Issue 13.3: what `import app` must not load. pydantic (and the ~60 models of chalicelib/api/schemas/),
# email_validator: each route's models are built on first use (chalicelib/api/http.py `schema`); argon2 with
# the first password checked (chalicelib/services/security.py); PynamoDB and the AWS SDK with the first use of
# storage (chalicelib/wiring.py builds the adapters then).
NOT_AT_IMPORT = ("pydantic", "pydantic_core", "email_validator", "chalicelib.api.schemas", "argon2", "_cffi_backend",
                 "pynamodb", "boto3", "botocore", "chalicelib.adapters")

PROBE = """
import json, sys
import app
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {forbidden!r}
                        or name in {forbidden!r})))
"""


def test_importing_the_app_loads_no_schema_library():
    probe = PROBE.format(forbidden=set(NOT_AT_IMPORT))
    assert run(probe) == []


def test_the_probe_sees_a_heavy_module_when_it_is_loaded():
    # The same probe, after a model is resolved: proves the check above can fail.
    probe = PROBE.format(forbidden=set(NOT_AT_IMPORT)).replace(
        "import app\n", "import app\nfrom chalicelib.api.http import schema\nschema('LoginIn').model_validate({'email': 'a@b.co', 'password': 'x'})\n")
    assert {"pydantic", "email_validator", "chalicelib.api.schemas"} <= set(run(probe))


THREADS_FIRST_USE = """
import json, threading
import app
from chalicelib.api.http import ListOf, schema, serialise

barrier, results = threading.Barrier(16), []

def first_use(i):
    barrier.wait()  # every thread meets the models unbuilt (the local server answers requests in threads)
    try:
        body = schema("SyncIn").model_validate_json('{"receipts": [], "shifts": []}')
        page = serialise(ListOf("stores", "StoreOut"), {"stores": [{"id": str(i), "name": "S", "created_at": "t",
                                                                   "secret": 1}], "cursor": None})
        results.append(body.receipts == [] and page == {"stores": [{"id": str(i), "name": "S", "address": None,
                                                                     "created_at": "t"}], "cursor": None})
    except Exception as exc:
        results.append(repr(exc))

threads = [threading.Thread(target=first_use, args=(i,)) for i in range(16)]
[t.start() for t in threads]
[t.join(60) for t in threads]
print(json.dumps(results))
"""


def test_models_built_on_first_use_by_many_threads_at_once():
    assert run(THREADS_FIRST_USE) == [True] * 16
