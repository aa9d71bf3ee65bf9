"""Safe deletion, end to end on the local stack: how long it takes and how many state transitions it costs.

    .venv/bin/python -m bench.deletion_bench [runs]

For each route of SafeDeletePosDevice (CHECKS: an ACTIVATED slot with nothing pending; DELETE: a slot
never activated; forced: DEACTIVATE, the owner's force=true) it times, with zero waits, the API
DELETE /v1/pos_devices/{id} until GET /v1/pos_devices/{id}/deletion says SUCCEEDED (median and min of
several runs), reads each execution's history to count state transitions (StateEntered events: Step
Functions Standard bills per state transition) and Lambda invocations, and counts the DynamoDB requests
the workflow's tasks make. Everything runs in one process on moto (Step Functions executed for real,
Lambda tasks answered in process by local/bridge.py), so times are local, not AWS latencies.
"""
import json
import os
import statistics
import sys
import threading
import time
import uuid

os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "PASSWORD_HASH_PROFILE": "fast", "POS_SYNC_WAIT_SECONDS": "0", "POS_SYNC_WAIT_ATTEMPTS": "2",
})
for _name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "DYNAMODB_HOST", "TABLE_NAME_PREFIX", "STATE_MACHINE_ARN",
              "AWS_PROFILE"):
    os.environ.pop(_name, None)

import boto3  # noqa: E402
from chalice.test import Client  # noqa: E402

from bench.dynamo_counter import count_dynamodb  # noqa: E402
from chalicelib import config  # noqa: E402
from local.stack import local_aws  # noqa: E402

RUNS = 7
PRICE_PER_1000_TRANSITIONS = 0.025  # USD, Step Functions Standard, us-east-1


class Api:
    def __init__(self, http):
        self.http = http

    def call(self, method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = getattr(self.http.http, method)(path, headers=headers, body=json.dumps(body) if body else b"")
        return response.status_code, (response.json_body if response.body else None)

    def ok(self, method, path, body=None, token=None, expect=200):
        status, data = self.call(method, path, body, token)
        if status != expect:
            raise RuntimeError(f"{method.upper()} {path} -> {status} {data}")
        return data


class Shop:
    """One merchant with one store; makes POS slots in the state each route needs."""

    def __init__(self, api: Api):
        self.api = api
        self.email, self.password = f"bench-{uuid.uuid4().hex[:8]}@example.com", "correct horse 1"
        body = api.ok("post", "/v1/signup", {"business_name": "Bench", "email": self.email,
                                             "password": self.password}, expect=201)
        self.token = body["token"]
        self.store_id = api.ok("post", "/v1/stores", {"name": "Main"}, token=self.token, expect=201)["id"]

    def slot(self) -> dict:
        return self.api.ok("post", "/v1/pos_devices", {"name": "Till", "store_id": self.store_id},
                           token=self.token, expect=201)

    def activated_slot(self) -> dict:
        device = self.slot()
        login = self.api.ok("post", "/v1/pos/login", {"email": self.email, "password": self.password})
        activation = self.api.ok("post", "/v1/pos/activate", {
            "login_token": login["login_token"], "pos_device_id": device["id"],
            "installation_id": f"bench-{uuid.uuid4().hex[:8]}"})
        # A device that reports everything synced: no waits on the CHECKS route.
        self.api.ok("post", "/v1/pos/sync", {"state": {"last_receipt_number": 0, "open_tickets": 0,
                                                       "shift_open": False}}, token=activation["device_token"])
        return device


ROUTES = [
    # (label, route the workflow takes, how to make the slot, query)
    ("CHECKS (activated, all synced)", "CHECKS", Shop.activated_slot, ""),
    ("DELETE (not activated)", "DELETE", Shop.slot, ""),
    ("forced (owner, force=true)", "DEACTIVATE", Shop.activated_slot, "?force=true"),
]


def delete_and_wait(api: Api, shop: Shop, device_id: str, query: str) -> tuple[float, dict]:
    """Seconds from the API DELETE to the deletion reading SUCCEEDED, and the deletion."""
    started = time.perf_counter()
    accepted = api.ok("delete", f"/v1/pos_devices/{device_id}{query}", token=shop.token, expect=202)["deletion"]
    while True:
        deletion = api.ok("get", f"/v1/pos_devices/{device_id}/deletion", token=shop.token)
        if deletion["status"] != "RUNNING":
            elapsed = time.perf_counter() - started
            break
        time.sleep(0.002)
    if deletion["status"] != "SUCCEEDED" or deletion["id"] != accepted["id"]:
        raise RuntimeError(f"deletion did not succeed: {deletion}")
    return elapsed, deletion


def execution_figures(deletion_id: str) -> dict:
    sfn = boto3.client("stepfunctions", region_name=config.settings().region)
    arn = config.settings().state_machine_arn.replace(":stateMachine:", ":execution:") + f":{deletion_id}"
    described = sfn.describe_execution(executionArn=arn)
    while described["status"] == "RUNNING":  # the API reads SUCCEEDED once Delete wrote it; the Succeed state follows
        time.sleep(0.002)
        described = sfn.describe_execution(executionArn=arn)
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    return {
        "status": described["status"],
        "transitions": len(entered),
        "path": entered,
        "lambdas": sum(1 for e in events if e["type"] == "LambdaFunctionScheduled"),
        "execution_seconds": (described["stopDate"] - described["startDate"]).total_seconds(),
    }


def sample(api: Api, shop: Shop, make_slot, query: str) -> dict:
    """One deletion: its end-to-end time, its execution's figures, the DynamoDB requests of its tasks."""
    device = make_slot(shop)
    with count_dynamodb() as counter:
        elapsed, deletion = delete_and_wait(api, shop, device["id"], query)
        figures = execution_figures(deletion["id"])
    if figures["status"] != "SUCCEEDED":
        raise RuntimeError(f"execution {deletion['id']} is {figures['status']}")
    main_thread = threading.main_thread().name
    return figures | {"seconds": elapsed, "dynamodb": sum(1 for c in counter.calls if c.thread != main_thread)}


def summarize(samples: list[dict]) -> dict:
    paths = {tuple(s["path"]) for s in samples}
    if len(paths) != 1:
        raise RuntimeError(f"one route took different paths: {paths}")
    times = [s["seconds"] for s in samples]
    return {
        "median": statistics.median(times), "min": min(times),
        "execution_median": statistics.median(s["execution_seconds"] for s in samples),
        "transitions": samples[0]["transitions"], "lambdas": samples[0]["lambdas"], "path": samples[0]["path"],
        "dynamodb": statistics.median(s["dynamodb"] for s in samples),
    }


def main(runs: int = RUNS) -> list[dict]:
    from app import app as chalice_app

    with local_aws():
        with Client(chalice_app) as http:
            api = Api(http)
            shop = Shop(api)
            for _label, _route, make_slot, query in ROUTES:  # warm-up: imports, first clients
                sample(api, shop, make_slot, query)
            samples = {route: [] for _label, route, _make, _query in ROUTES}
            for _ in range(runs):  # interleaved, so that a busy moment costs every route alike
                for _label, route, make_slot, query in ROUTES:
                    samples[route].append(sample(api, shop, make_slot, query))
            results = [{"label": label, "route": route, **summarize(samples[route])}
                       for label, route, _make, _query in ROUTES]
    config.reload()
    print_table(results, runs)
    return results


def print_table(results: list[dict], runs: int) -> None:
    print(f"\nSafe deletion, local end to end (moto, zero waits), {runs} runs per route\n")
    header = (f"{'route':32} {'API DELETE->SUCCEEDED':>22} {'min':>8} {'execution':>10} {'state':>11} "
              f"{'Lambda':>7} {'DynamoDB':>9} {'USD per':>9}")
    sub = (f"{'':32} {'median':>22} {'':>8} {'median':>10} {'transitions':>11} "
           f"{'calls':>7} {'requests':>9} {'1M':>9}")
    print(header)
    print(sub)
    print("-" * len(header))
    for r in results:
        cost = r["transitions"] * PRICE_PER_1000_TRANSITIONS * 1000
        print(f"{r['label']:32} {r['median'] * 1000:>19.0f} ms {r['min'] * 1000:>5.0f} ms "
              f"{r['execution_median'] * 1000:>7.0f} ms {r['transitions']:>11} {r['lambdas']:>7} "
              f"{r['dynamodb']:>9.0f} {cost:>9.2f}")
    print()
    for r in results:
        print(f"{r['route']:10} {' > '.join(r['path'])}")
    print("\nstate transitions = StateEntered events of the execution history (Step Functions Standard bills"
          f" ${PRICE_PER_1000_TRANSITIONS} per 1,000; a retry adds one more). DynamoDB requests = those the"
          " workflow's tasks made (the API's own request and polling excluded). 'execution' = the execution's"
          " startDate->stopDate in moto.")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else RUNS)
