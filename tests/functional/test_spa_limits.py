"""The limits the back office checks before sending come from the served OpenAPI document (web/limits.js, issue 26
item 6), and the deletion's wait for a late sync is published there (issue 25): the document's value follows the
configuration, and the SPA's own reader (web/openapi_limits.js, run in node) finds every limit in it."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from chalicelib import config

ROOT = Path(__file__).resolve().parents[2]
READER = ROOT / "web" / "openapi_limits.js"


def _sync_wait(client) -> int:
    status, document = client.get("/v1/openapi.json")
    assert status == 200
    return document["paths"]["/v1/pos_devices/{device_id}"]["delete"]["x-sync-wait-seconds"]


def test_the_deletion_publishes_its_sync_wait_from_the_configuration(client, monkeypatch):
    # tests/conftest.py: POS_SYNC_WAIT_SECONDS=0, POS_SYNC_WAIT_ATTEMPTS=2
    assert _sync_wait(client) == 0
    monkeypatch.setenv("POS_SYNC_WAIT_SECONDS", "45")
    monkeypatch.setenv("POS_SYNC_WAIT_ATTEMPTS", "4")
    config.reload()
    try:
        assert _sync_wait(client) == 180
        monkeypatch.delenv("POS_SYNC_WAIT_SECONDS")
        monkeypatch.delenv("POS_SYNC_WAIT_ATTEMPTS")
        config.reload()
        assert _sync_wait(client) == 600  # the defaults: 60 s x 10 waits
    finally:
        monkeypatch.undo()
        config.reload()
    assert _sync_wait(client) == 0


def _read_limits(document: dict) -> dict:
    node = shutil.which("node")
    assert node, "node is not installed (the SPA's modules are tested with it)"
    script = ("import { readFileSync } from 'node:fs';"
              f"import {{ FALLBACK_LIMITS, limitsFromDocument }} from {json.dumps(READER.as_uri())};"
              "const read = limitsFromDocument(JSON.parse(readFileSync(0, 'utf8')));"
              "console.log(JSON.stringify({ ...read, fallback: FALLBACK_LIMITS }));")
    run = subprocess.run([node, "--input-type=module", "-e", script], input=json.dumps(document), text=True,
                         capture_output=True, timeout=60, cwd=ROOT, check=False)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_the_spa_finds_every_limit_in_the_served_document(client, monkeypatch):
    monkeypatch.delenv("POS_SYNC_WAIT_SECONDS")
    monkeypatch.delenv("POS_SYNC_WAIT_ATTEMPTS")
    config.reload()
    try:
        status, document = client.get("/v1/openapi.json")
    finally:
        monkeypatch.undo()
        config.reload()
    assert status == 200
    read = _read_limits(document)
    assert read["missing"] == [], "web/openapi_limits.js looks for these where the document no longer has them"
    schemas = document["components"]["schemas"]
    assert read["limits"] == {
        "posName": schemas["DeviceIn"]["properties"]["name"]["maxLength"],
        "storeName": schemas["StoreIn"]["properties"]["name"]["maxLength"],
        "storeAddress": next(b["maxLength"] for b in schemas["StoreIn"]["properties"]["address"]["anyOf"]
                             if "maxLength" in b),
        "employeeName": schemas["EmployeeIn"]["properties"]["name"]["maxLength"],
        "businessName": schemas["SignupIn"]["properties"]["business_name"]["maxLength"],
        "passwordMin": schemas["SignupIn"]["properties"]["password"]["minLength"],
        "passwordMax": schemas["SignupIn"]["properties"]["password"]["maxLength"],
        "finalSyncHoursMax": next(b["maximum"] for b in schemas["DeactivateIn"]["properties"]["final_sync_hours"]
                                  .get("anyOf", [schemas["DeactivateIn"]["properties"]["final_sync_hours"]])
                                  if "maximum" in b),
        "listLimitMax": document["components"]["parameters"]["Limit"]["schema"]["maximum"],
        "syncWaitSeconds": 600,
        "apiTokenName": schemas["ApiTokenIn"]["properties"]["name"]["maxLength"],
        "webhookUrl": schemas["WebhookIn"]["properties"]["url"]["maxLength"],
    }
    # The built-in numbers (used only when the document cannot be read) are today's: the fallback is not stale.
    assert read["fallback"] == read["limits"]


@pytest.mark.parametrize("broken", [None, {}, {"paths": {"/v1/stores": {"post": {"operationId": "createStore"}}}}])
def test_a_document_without_the_limits_leaves_the_built_in_ones(broken):
    read = _read_limits(broken)
    assert read["limits"] == read["fallback"]
    assert set(read["missing"]) == set(read["fallback"])
