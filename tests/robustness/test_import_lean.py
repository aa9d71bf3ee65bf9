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
