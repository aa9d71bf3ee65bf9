"""Issue 25.1: the sales summary, read from counters the sync keeps in the transaction that stores each receipt.

Exact under replays, races, rejected receipts and final-sync uploads (each compared with a full recount over
GET /v1/receipts), in the merchant's time zone, grouped by day, store, POS, employee or payment type."""
import random
import uuid
from collections import Counter, defaultdict
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import Merchant, at_once, receipt
from tests.integration.test_sync_concurrency import stored_receipts


def sync(api, token, receipts, last=None):
    body = {"receipts": receipts}
    if last is not None:
        body["state"] = {"last_receipt_number": last, "open_tickets": 0, "shift_open": False}
    return api.post("/v1/pos/sync", body, token=token)


def summary(client, m, **query):
    path = "/v1/sales/summary?" + "&".join(f"{k}={v}" for k, v in query.items())
    status, body = client.get(path, token=m.token)
    assert status == 200, body
    return body


def recount(receipts, time_zone, group_by):
    """The summary computed the slow way, from every stored receipt."""
    totals, groups, by_type = Counter(), defaultdict(Counter), defaultdict(Counter)
    for r in receipts:
        refund = r["receipt_type"] == "REFUND"
        day = datetime.fromisoformat(r["created_at"]).astimezone(ZoneInfo(time_zone)).date()
        figures = Counter(receipt_count=1, gross_sales=0 if refund else r["total_money"],
                          refunds=r["total_money"] if refund else 0)
        totals.update(figures)
        amounts = Counter()
        for p in r["payments"]:
            amounts[p["type"]] += p["money_amount"]
        for type_, amount in amounts.items():
            by_type[type_].update(Counter(receipt_count=1, **{"refunds" if refund else "sales": amount}))
        if group_by == "payment_type":
            for type_, amount in amounts.items():
                groups[type_].update(Counter(receipt_count=1, **{"refunds" if refund else "gross_sales": amount}))
        else:
            key = {"day": day.isoformat(), "store": r["store_id"], "pos_device": r["pos_device_id"],
                   "employee": r.get("employee_id") or "-"}[group_by]
            groups[key].update(figures)
    return totals, groups, by_type


def assert_matches(body, receipts, time_zone, group_by):
    totals, groups, by_type = recount(receipts, time_zone, group_by)
    assert body["totals"] == {"receipt_count": totals["receipt_count"], "gross_sales": totals["gross_sales"],
                              "refunds": totals["refunds"], "net_sales": totals["gross_sales"] - totals["refunds"]}
    got = {g["key"]: (g["receipt_count"], g["gross_sales"], g["refunds"], g["net_sales"])
           for g in body["groups"] if g["receipt_count"]}
    assert got == {k: (f["receipt_count"], f["gross_sales"], f["refunds"], f["gross_sales"] - f["refunds"])
                   for k, f in groups.items()}
    assert {p["payment_type"]: (p["receipt_count"], p["sales"], p["refunds"], p["net"])
            for p in body["by_payment_type"]} == {
        k: (f["receipt_count"], f["sales"], f["refunds"], f["sales"] - f["refunds"]) for k, f in by_type.items()}


def polish_signup(client):
    email = f"pl-{uuid.uuid4().hex[:8]}@example.com"
    status, body = client.post("/v1/signup", {"business_name": "Sklep Ola", "email": email,
                                              "password": "correct horse 1"}, headers={"Accept-Language": "pl"})
    assert status == 201, body
    return Merchant(client, body["token"], email, "correct horse 1", body["employee"], body["merchant"]), body


def test_a_day_is_the_merchants_day_and_every_grouping_adds_up(client):
    m, signed = polish_signup(client)
    assert signed["merchant"]["time_zone"] == "Europe/Warsaw"
    device, token = m.active_device()
    n = device["number"]
    # 23:30 UTC on 24 Nov is 00:30 on 25 Nov in Warsaw; 22:30 UTC is 23:30 on the 24th.
    receipts = [receipt(n, 1, total=1000, created_at="2026-11-24T22:30:00Z"),
                receipt(n, 2, total=2000, created_at="2026-11-24T23:30:00Z",
                        payments=[{"type": "CARD", "money_amount": 1500}, {"type": "CASH", "money_amount": 500}]),
                receipt(n, 3, total=300, created_at="2026-11-25T10:00:00Z", receipt_type="REFUND")]
    status, body = sync(client, token, receipts)
    assert status == 200 and body["accepted"] == 3, body
    by_day = summary(client, m, **{"from": "2026-11-24", "to": "2026-11-25", "group_by": "day"})
    assert by_day["currency"] == "PLN" and by_day["time_zone"] == "Europe/Warsaw"
    assert [(g["key"], g["receipt_count"], g["gross_sales"], g["refunds"], g["net_sales"])
            for g in by_day["groups"]] == [("2026-11-24", 1, 1000, 0, 1000), ("2026-11-25", 2, 2000, 300, 1700)]
    assert by_day["totals"] == {"receipt_count": 3, "gross_sales": 3000, "refunds": 300, "net_sales": 2700}
    assert {p["payment_type"]: p["net"] for p in by_day["by_payment_type"]} == {"CASH": 1000 + 500 - 300,
                                                                                "CARD": 1500}
    stored = stored_receipts(client, m.token)
    for group_by in ("day", "store", "pos_device", "employee", "payment_type"):
        body = summary(client, m, **{"from": "2026-11-01", "to": "2026-11-30", "group_by": group_by})
        assert_matches(body, stored, "Europe/Warsaw", group_by)
    # Names for the groups the back office shows.
    stores = summary(client, m, **{"from": "2026-11-24", "to": "2026-11-25", "group_by": "store"})
    assert [g["name"] for g in stores["groups"]] == ["Main store"]
    tills = summary(client, m, **{"from": "2026-11-24", "to": "2026-11-25", "group_by": "pos_device"})
    assert [g["name"] for g in tills["groups"]] == ["Till 1"]
    people = summary(client, m, **{"from": "2026-11-24", "to": "2026-11-25", "group_by": "employee"})
    assert [g["name"] for g in people["groups"]] == [m.owner["name"]]
    # Only the 24th (Warsaw): the receipt of 23:30 UTC belongs to the 25th.
    one_day = summary(client, m, **{"from": "2026-11-24", "to": "2026-11-24"})
    assert one_day["totals"]["receipt_count"] == 1


def test_filters_by_store_and_by_pos(client):
    m = client.signup()
    a, token_a = m.active_device("Till A")
    b, token_b = m.active_device("Till B")
    assert sync(client, token_a, [receipt(a["number"], s, total=100) for s in (1, 2)])[1]["accepted"] == 2
    assert sync(client, token_b, [receipt(b["number"], 1, total=5000)])[1]["accepted"] == 1
    days = {"from": "2026-11-24", "to": "2026-11-24"}
    assert summary(client, m, **days)["totals"]["gross_sales"] == 5200
    assert summary(client, m, **days, store_id=a["store_id"])["totals"]["gross_sales"] == 200
    assert summary(client, m, **days, pos_device_id=b["id"])["totals"]["gross_sales"] == 5000
    by_pos = summary(client, m, **days, group_by="pos_device")
    assert {g["name"]: g["gross_sales"] for g in by_pos["groups"]} == {"Till A": 200, "Till B": 5000}
    # A POS with another store: refused, said why; an unknown POS or store: 404.
    status, body = client.get(f"/v1/sales/summary?pos_device_id={a['id']}&store_id={b['store_id']}", token=m.token)
    assert status == 400 and body["errors"][0]["code"] == "POS_NOT_IN_STORE"
    status, body = client.get(f"/v1/sales/summary?pos_device_id={uuid.uuid4()}", token=m.token)
    assert status == 404
    # Another merchant sees none of it.
    other = client.signup()
    assert summary(client, other, **days)["totals"]["receipt_count"] == 0
    status, body = client.get(f"/v1/sales/summary?pos_device_id={a['id']}", token=other.token)
    assert status == 404


@pytest.mark.parametrize("query, field", [
    ("from=2026-11-30&to=2026-11-01", "from"), ("from=2025-01-01&to=2026-11-01", "to"),
    ("from=2026-02-30", "from"), ("from=yesterday", "from"), ("group_by=week", "group_by"), ("colour=red", "colour"),
    ("store_id=../x", "store_id")])
def test_bad_queries_are_refused_clearly(client, query, field):
    m = client.signup()
    status, body = client.get(f"/v1/sales/summary?{query}", token=m.token, headers={"Accept-Language": "pl"})
    assert status == 400, body
    (error,) = body["errors"]
    assert error["field"] == field and error["details"], error


def test_without_dates_the_summary_is_today_and_needs_a_login(client):
    m = client.signup()
    body = summary(client, m)
    assert body["day_from"] == body["day_to"] and len(body["groups"]) == 1
    assert client.get("/v1/sales/summary")[0] == 401


def test_replays_races_rejections_and_a_final_sync_count_each_receipt_once(client, threaded_app):
    m = client.signup()
    device, token = m.active_device()
    n = device["number"]
    rng = random.Random(25)
    pool = {seq: receipt(n, seq, total=rng.randint(1, 9999),
                         created_at=f"2026-11-{rng.randint(20, 26)}T{rng.randint(0, 23):02d}:15:00Z",
                         receipt_type=rng.choice(["SALE", "SALE", "REFUND"]),
                         payments=[]) for seq in range(1, 41)}
    for r in pool.values():
        r["payments"] = [{"type": rng.choice(["CASH", "CARD", "BLIK"]), "money_amount": r["total_money"]}]
    # Eight threads send overlapping batches (each receipt several times), in random order.
    jobs = []
    for _ in range(8):
        seqs = rng.sample(sorted(pool), 20)
        jobs.append(lambda api, seqs=seqs: sync(api, token, [pool[s] for s in seqs]))
    at_once(threaded_app, jobs)
    # Replays of everything, and a conflicting copy of a stored number (rejected, never counted).
    status, body = sync(client, token, list(pool.values()))
    assert status == 200 and body["accepted"] == 0, body
    twin = receipt(n, 1, total=123456)
    status, body = sync(client, token, [twin])
    assert status == 200 and body["accepted"] == 0
    # The tablet is deactivated with receipts still owed; it uploads them in its final-sync window.
    owed = {seq: receipt(n, seq, total=777, created_at="2026-11-26T12:00:00Z") for seq in (41, 42, 43)}
    status, body = sync(client, token, [], last=43)
    assert status == 200, body
    status, body = client.post(f"/v1/pos_devices/{device['id']}/deactivate", {"final_sync_hours": 24}, token=m.token)
    assert status == 200, body
    jobs = [lambda api: sync(api, token, list(owed.values()), last=43) for _ in range(4)]
    at_once(threaded_app, jobs)
    stored = stored_receipts(client, m.token)
    assert len(stored) == 43 and 123456 not in {r["total_money"] for r in stored}
    for group_by in ("day", "pos_device", "employee", "payment_type", "store"):
        body = summary(client, m, **{"from": "2026-11-01", "to": "2026-11-30", "group_by": group_by})
        assert_matches(body, stored, "UTC", group_by)
