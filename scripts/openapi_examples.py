"""Regenerates chalicelib/api/openapi_examples.json: one example per operation of /v1/openapi.json, taken from
a real run of the main story on moto (sign up, store, employee, POS, activate, pair, switch user, sync,
receipts, export, audit, deactivate with a final-sync window, delete), not typed by hand.

Per operationId: the request body it was sent ("request"), else the answer it gave ("response"; a CSV text
for the export), else the path parameters it was called with ("parameters"). Lists are cut to one item.
tests/functional/test_openapi_document.py checks each one against the document's schemas.

    .venv/bin/python scripts/openapi_examples.py
"""
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                   "AWS_DEFAULT_REGION": "us-east-1", "PASSWORD_HASH_PROFILE": "fast",
                   "POS_SYNC_WAIT_SECONDS": "0", "POS_SYNC_WAIT_ATTEMPTS": "1"})
for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_STEPFUNCTIONS", "TABLE_NAME_PREFIX",
              "STATE_MACHINE_ARN", "AWS_PROFILE"):
    os.environ.pop(_name, None)

from chalice.test import Client  # noqa: E402

from local.stack import local_aws  # noqa: E402

OUT = ROOT / "chalicelib" / "api" / "openapi_examples.json"
PASSWORD = "correct horse 1"


def _cut(value):
    """Lists of more than one item cut to the first (an example, not a dump)."""
    if isinstance(value, list):
        return [_cut(item) for item in value[:1]]
    if isinstance(value, dict):
        return {key: _cut(item) for key, item in value.items()}
    return value


class Story:
    def __init__(self, http):
        self.http, self.examples = http, {}

    def call(self, operation_id, method, path, body=None, token=None, params=None, expect=(200, 201, 202, 204)):
        headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {token}"} if token else {})
        response = getattr(self.http, method.lower())(path, headers=headers,
                                                       body=json.dumps(body) if body is not None else b"")
        assert response.status_code in expect, (operation_id, response.status_code, response.body)
        if operation_id not in self.examples:
            if body is not None:
                self.examples[operation_id] = {"request": body}
            elif response.body and response.headers.get("Content-Type", "").startswith("text/csv"):
                self.examples[operation_id] = {"response": response.body.decode("utf-8")}
            elif response.body:
                self.examples[operation_id] = {"response": _cut(json.loads(response.body))}
            else:
                self.examples[operation_id] = {"parameters": params or {}}
        return json.loads(response.body) if response.body and not response.headers.get(
            "Content-Type", "").startswith("text/csv") else None


def run(story: Story) -> None:
    owner = story.call("signup", "POST", "/v1/signup", {"business_name": "Café Anna", "email": "anna@example.com",
                                                         "password": PASSWORD, "currency": "PLN"})
    story.call("login", "POST", "/v1/auth/login", {"email": "anna@example.com", "password": PASSWORD})
    token = owner["token"]
    store = story.call("createStore", "POST", "/v1/stores", {"name": "Old Town", "address": "Rynek 1, Kraków"},
                       token=token)
    spare = story.call(None, "POST", "/v1/stores", {"name": "Pop-up stand"}, token=token)
    story.call("updateStore", "PATCH", f"/v1/stores/{store['id']}", {"address": "Rynek 2, Kraków"}, token=token)
    story.call("getStore", "GET", f"/v1/stores/{store['id']}", token=token)
    story.call("listStores", "GET", "/v1/stores?limit=1", token=token)
    cashier = story.call("createEmployee", "POST", "/v1/employees", {
        "name": "Bartek", "role": "CASHIER", "pin": "4821", "store_ids": [store["id"]]}, token=token)
    story.call("updateEmployee", "PATCH", f"/v1/employees/{cashier['id']}", {"name": "Bartek N."}, token=token)
    temp = story.call(None, "POST", "/v1/employees", {"name": "Temp", "role": "CASHIER", "pin": "7777",
                                                       "store_ids": [store["id"]]}, token=token)
    story.call("deleteEmployee", "DELETE", f"/v1/employees/{temp['id']}", token=token,
               params={"employee_id": temp["id"]})
    manager = story.call(None, "POST", "/v1/employees", {"name": "Ewa", "role": "MANAGER",
                                                          "email": "ewa@example.com", "store_ids": [store["id"]]},
                         token=token)
    invitation = story.call("createInvitation", "POST", f"/v1/employees/{manager['id']}/invitation", token=token,
                            params={"employee_id": manager["id"]})
    story.call("acceptInvitation", "POST", "/v1/invitations/accept", {"token": invitation["token"],
                                                                      "password": "ewa's own pass 1"})
    story.call("revokeAccess", "DELETE", f"/v1/employees/{manager['id']}/access", token=token,
               params={"employee_id": manager["id"]})
    story.call("listEmployees", "GET", "/v1/employees?limit=1", token=token)

    device = story.call("createPosDevice", "POST", "/v1/pos_devices", {"name": "Till 1", "store_id": store["id"]},
                        token=token)
    story.call("updatePosDevice", "PATCH", f"/v1/pos_devices/{device['id']}", {"name": "Till 1 (bar)"},
               token=token)
    login = story.call("posLogin", "POST", "/v1/pos/login", {"email": "anna@example.com", "password": PASSWORD})
    activation = story.call("activatePosDevice", "POST", "/v1/pos/activate", {
        "login_token": login["login_token"], "pos_device_id": device["id"], "installation_id": "ipad-7f3a91"})
    device_token = activation["device_token"]
    story.call("switchPosUser", "POST", "/v1/pos/switch_user", {"employee_id": cashier["id"], "pin": "4821"},
               token=device_token)
    number = device["number"]
    shift = {"id": "5d0f6c1e-2b7a-4e8c-9f31-0a7d2c4b9e55", "opened_at": "2026-11-24T08:00:00Z",
             "opened_by_employee": cashier["id"], "starting_cash": 20000}
    story.call("syncPosDevice", "POST", "/v1/pos/sync", {
        "state": {"last_receipt_number": 1, "open_tickets": 0, "shift_open": True}, "shifts": [shift],
        "receipts": [{"id": "c2a4e6f8-1b3d-4f5a-8c7e-9d0b2a4c6e81", "receipt_number": f"{number}-1",
                      "receipt_type": "SALE", "created_at": "2026-11-24T09:12:30Z", "employee_id": cashier["id"],
                      "shift_id": shift["id"],
                      "line_items": [{"item_name": "Espresso", "quantity": 2, "price": 900, "total_money": 1800}],
                      "payments": [{"type": "CARD", "money_amount": 1800}], "total_money": 1800,
                      "total_tax": 135}]}, token=device_token)
    story.call("getPosSelf", "GET", "/v1/pos/me", token=device_token)
    story.call("listReceipts", "GET", f"/v1/receipts?pos_device_id={device['id']}&limit=20", token=token)
    story.call("exportReceipts", "GET", f"/v1/receipts/export?store_id={store['id']}", token=token)
    story.call("getReceipt", "GET", f"/v1/receipts/{number}-1", token=token)
    story.call("salesSummary", "GET", "/v1/sales/summary?from=2026-11-24&to=2026-11-24&group_by=store", token=token)
    story.call("listShifts", "GET", f"/v1/shifts?pos_device_id={device['id']}", token=token)
    audit_run = story.call("runAudit", "POST", "/v1/audit/runs", token=token)
    story.call("getAuditRun", "GET", f"/v1/audit/runs/{audit_run['id']}", token=token,
               params={"run_id": audit_run["id"]})
    story.call("listFindings", "GET", "/v1/audit/findings?status=open", token=token)

    second = story.call(None, "POST", "/v1/pos_devices", {"name": "Till 2", "store_id": store["id"]}, token=token)
    story.call("createPairingCode", "POST", f"/v1/pos_devices/{second['id']}/pairing_code",
               {"expires_in_seconds": 600}, token=token)
    story.call("revokePairingCode", "DELETE", f"/v1/pos_devices/{second['id']}/pairing_code", token=token,
               params={"device_id": second["id"]})
    code = story.call(None, "POST", f"/v1/pos_devices/{second['id']}/pairing_code", {}, token=token)
    story.call("pairPosDevice", "POST", "/v1/pos/pair", {"code": code["code"], "installation_id": "android-42b7"})

    story.call("deactivatePosDevice", "POST", f"/v1/pos_devices/{device['id']}/deactivate", {"final_sync_hours": 24},
               token=token)
    story.call("endFinalSync", "POST", f"/v1/pos_devices/{device['id']}/end_final_sync", token=token)
    story.call("getPosDevice", "GET", f"/v1/pos_devices/{device['id']}", token=token)
    # The window closed with the shift still open: the audit's SHIFT_LEFT_OPEN finding, which a person acknowledges.
    story.call(None, "POST", "/v1/audit/runs", token=token)
    left_open = [f for f in story.call(None, "GET", "/v1/audit/findings?status=open", token=token)["findings"]
                 if f["type"] == "SHIFT_LEFT_OPEN"]
    story.call("acknowledgeFinding", "POST", f"/v1/audit/findings/{left_open[0]['id']}/acknowledge", token=token,
               params={"finding_id": left_open[0]["id"]})
    story.call("deletePosDevice", "DELETE", f"/v1/pos_devices/{device['id']}", token=token)
    deadline = time.time() + 60
    while time.time() < deadline:
        deletion = story.call(None, "GET", f"/v1/pos_devices/{device['id']}/deletion", token=token)
        if deletion["status"] != "RUNNING":
            break
        time.sleep(0.05)
    story.call("getPosDeviceDeletion", "GET", f"/v1/pos_devices/{device['id']}/deletion", token=token)
    story.call("listPosDevices", "GET", f"/v1/pos_devices?store_id={store['id']}&show_deleted=true", token=token)
    story.call("deleteStore", "DELETE", f"/v1/stores/{spare['id']}", token=token, params={"store_id": spare["id"]})
    story.call("listEvents", "GET", "/v1/events?limit=5", token=token)

    api_token = story.call("createApiToken", "POST", "/v1/api_tokens", {
        "name": "Accounting export", "access": "READ", "store_ids": [store["id"]]}, token=token)
    story.call("listApiTokens", "GET", "/v1/api_tokens", token=token)
    story.call("revokeApiToken", "DELETE", f"/v1/api_tokens/{api_token['id']}", token=token,
               params={"token_id": api_token["id"]})
    hook = story.call("createWebhook", "POST", "/v1/webhooks", {
        "url": "http://127.0.0.1:9/pos-events", "event_types": ["pos_device.deactivated", "receipts.created"]},
        token=token)
    story.call("listWebhooks", "GET", "/v1/webhooks", token=token)
    story.call("updateWebhook", "PATCH", f"/v1/webhooks/{hook['id']}", {"enabled": False}, token=token)
    story.call("getWebhook", "GET", f"/v1/webhooks/{hook['id']}", token=token)
    test = story.call("testWebhook", "POST", f"/v1/webhooks/{hook['id']}/test", token=token)
    story.call("listDeliveries", "GET", f"/v1/webhooks/{hook['id']}/deliveries?limit=5", token=token)
    story.call("resendDelivery", "POST", f"/v1/webhooks/{hook['id']}/deliveries/{test['id']}/resend", token=token)
    story.call("deleteWebhook", "DELETE", f"/v1/webhooks/{hook['id']}", token=token,
               params={"webhook_id": hook["id"]})


def main() -> None:
    from app import app as chalice_app

    with local_aws("moto"), Client(chalice_app) as client:
        story = Story(client.http)
        run(story)
    story.examples.pop(None, None)
    OUT.write_text(json.dumps(dict(sorted(story.examples.items())), ensure_ascii=False, indent=1) + "\n")
    print(f"{OUT.relative_to(ROOT)}: {len(story.examples)} operations")


if __name__ == "__main__":
    main()
