"""The sync audit: raise, refresh or resolve findings for the devices that need a look.

Cost follows the devices with something to report, not the fleet (docs/SCALE.md):
- the scheduled run fans out over the shards of two sparse indexes, one Lambda invocation per shard
  (`run_all` -> `run_shard`): devices that need a look (domain.audit.needs_audit) and open findings;
- a shard reads its keys (one Query per 1 MB), the devices themselves (one BatchGetItem per 100), and for a
  device with missing receipts at most `RECEIPT_READS_PER_DEVICE` BatchGetItems of receipt keys: the numbers
  listed last time and the ones issued since (domain.audit.find_missing), never all its receipts;
- a finding is unique per device and type: raising one claims a deterministic key in the same transaction
  (and checks that the device is still in the activation audited), so runs at once never raise it twice.
"""
import logging
from concurrent.futures import ThreadPoolExecutor

from chalicelib import backoff, clock
from chalicelib.config import settings
from chalicelib.domain import audit as rules
from chalicelib.domain import final_sync as final_sync_rules
from chalicelib.domain.devices import Device, Status
from chalicelib.domain.receipts import format_receipt_number, parse_receipt_number
from chalicelib.domain.roles import BACK_OFFICE_ROLES, require_role
from chalicelib.errors import Conflict, NotFound
from chalicelib.services.common import Principal, new_id
from chalicelib.services.findings import finding_event
from chalicelib.services.slot_writes import close_expired_final_sync
from chalicelib.wiring import adapters

log = logging.getLogger(__name__)
PAGE_SIZE = 100
COUNTS = ("devices_checked", "raised", "refreshed", "resolved", "failed_devices")


class AuditShardsFailed(Exception):
    """Some shards failed after their retries: the scheduled invocation fails (and is alarmed on) after
    every other shard has finished."""


def _summary() -> dict:
    return {name: 0 for name in COUNTS} | {"started_at": clock.iso(), "finished_at": None}


# ---------------------------------------------------------------- the scheduled run


def run_all() -> dict:
    """Every shard, each by its own invocation of `audit_shard`, several at once; a failed shard is retried
    with backoff, and one that still fails is reported (summary, error log, failed invocation)."""
    cfg = settings()
    shards = rules.all_shards()
    summary = _summary() | {"shards": len(shards), "retried_shards": 0, "failed_shards": []}

    def one(shard: str) -> tuple[str, dict | None, str | None, int]:
        error = None
        for attempt in range(cfg.audit_shard_attempts):
            try:
                return shard, adapters().fanout.invoke(shard), None, attempt
            except Exception as exc:  # noqa: BLE001 - any failure of a shard is retried, then reported
                error = f"{type(exc).__name__}: {exc}"
                log.warning("audit shard %s failed (attempt %d): %s", shard, attempt + 1, error)
                if attempt + 1 < cfg.audit_shard_attempts:
                    backoff.pause(attempt, cfg.audit_retry_base_seconds, cap=5.0, jitter=False)
        return shard, None, error, cfg.audit_shard_attempts - 1

    with ThreadPoolExecutor(max_workers=max(1, min(cfg.audit_fanout_workers, len(shards)))) as pool:
        for shard, result, error, retries in pool.map(one, shards):
            summary["retried_shards"] += 1 if retries else 0
            if result is None:
                summary["failed_shards"].append({"shard": shard, "error": error})
                continue
            for name in COUNTS:
                summary[name] += result[name]
    summary["finished_at"] = clock.iso()
    if summary["failed_shards"]:
        log.error("audit run incomplete: %s", summary, extra={"event": "audit_run_incomplete", **summary})
        raise AuditShardsFailed(f"{len(summary['failed_shards'])} audit shard(s) failed: {summary}")
    log.info("audit run: %s", summary, extra={"event": "audit_run", **summary})
    return summary


def run_shard(shard: str) -> dict:
    """One shard: the devices that need a look and the devices with open findings, each audited once.
    A failure to read the shard raises (the caller retries the shard); one device's failure is counted."""
    if shard not in rules.all_shards():
        raise ValueError(f"no audit shard {shard!r}")
    summary = _summary() | {"shard": shard}
    keys = set(adapters().devices.keys_needing_audit(shard, rules.due_by(clock.now())))
    open_by_device: dict[tuple[str, str], list[dict]] = {}
    for finding in adapters().findings.open_in_shard(shard):
        open_by_device.setdefault((finding["merchant_id"], finding["pos_device_id"]), []).append(finding)
    _audit_all(keys | set(open_by_device), {}, open_by_device, summary)
    summary["finished_at"] = clock.iso()
    return summary


# ---------------------------------------------------------------- one merchant, from the back office


def start_run(principal: Principal) -> dict:
    """POST /v1/audit/runs: the merchant's run, started in the background (the `audit_merchant` function, invoked
    asynchronously; in process locally). While one runs for the merchant, that one is answered (no second run)."""
    require_role(principal.role, BACK_OFFICE_ROLES, "run the audit")
    moment = clock.now()
    run = {"merchant_id": principal.merchant_id, "id": new_id(), "status": "RUNNING", "started_at": clock.iso(moment),
           "finished_at": None, "running_until_epoch": clock.epoch(moment) + settings().audit_run_seconds,
           "requested_by": principal.employee_id or principal.api_token_id, "error": None,
           # a MANAGER's run (or a store-limited token's) checks their stores' POS devices only
           "store_ids": None if principal.store_ids is None else sorted(principal.store_ids)}
    started = adapters().audit_runs.start(run, clock.epoch(moment))
    if started["id"] != run["id"]:
        return _shown(started, principal)
    try:
        adapters().fanout.start_run({"merchant_id": run["merchant_id"], "run_id": run["id"]})
    except Exception:
        adapters().audit_runs.finish(run | {"status": "FAILED", "finished_at": clock.iso(), "error": "NOT_STARTED"})
        raise
    # Read again: where the run is answered in process (tests), it has finished by now.
    return _shown(adapters().audit_runs.get(run["merchant_id"], run["id"]) or run, principal)


def get_run(principal: Principal, run_id: str) -> dict:
    require_role(principal.role, BACK_OFFICE_ROLES, "read the audit's runs")
    run = adapters().audit_runs.get(principal.merchant_id, run_id)
    if run is None:
        raise NotFound(key="NOT_FOUND.audit_run")
    return _shown(run, principal)


def _shown(run: dict, principal: Principal) -> dict:
    """A run still RUNNING past its deadline died with its function (a timeout): it reads as FAILED. The counts of a
    run that covered stores outside the caller's (an owner's run read by a manager) are not shown: they would tell
    how many POS devices the other stores have."""
    if run["status"] == "RUNNING" and clock.epoch() > run["running_until_epoch"]:
        run = run | {"status": "FAILED", "error": "TIMED_OUT"}
    scope = run.get("store_ids")
    if principal.store_ids is not None and (scope is None or not set(scope) <= principal.store_ids):
        run = run | {name: None for name in COUNTS}
    return run


def run_merchant_job(event: dict) -> dict:
    """The `audit_merchant` function: the run that POST /v1/audit/runs started. Its outcome goes to the run's record
    (SUCCEEDED with the counts, or FAILED); it never raises, so Lambda has nothing to retry."""
    run = adapters().audit_runs.get(event["merchant_id"], event["run_id"])
    if run is None or run["status"] != "RUNNING":
        return {"skipped": True}
    try:
        summary = run_for_merchant(event["merchant_id"], run.get("store_ids"))
    except Exception as exc:  # recorded in the run; the caller polls its status
        log.exception("audit run %s of merchant %s failed", run["id"], run["merchant_id"],
                  extra={"event": "audit_merchant_run_failed", "merchant_id": run["merchant_id"]})
        finished = run | {"status": "FAILED", "finished_at": clock.iso(), "error": type(exc).__name__}
    else:
        finished = run | {name: summary[name] for name in COUNTS} | {
            "status": "SUCCEEDED", "finished_at": summary["finished_at"]}
    adapters().audit_runs.finish(finished)
    log.info("audit run of merchant %s: %s", run["merchant_id"], finished["status"],
             extra={"event": "audit_merchant_run", "merchant_id": run["merchant_id"], "status": finished["status"]})
    return finished


def run_for_merchant(merchant_id: str, store_ids: list[str] | None = None) -> dict:
    """Every POS of the merchant (of `store_ids` only, for a MANAGER's run), now: the body of a run started from the
    back office."""
    principal = Principal(merchant_id=merchant_id, employee_id=None,
                          store_ids=None if store_ids is None else frozenset(store_ids))
    summary, cursor = _summary(), None
    known: dict[tuple[str, str], Device] = {}
    while True:
        devices, cursor = adapters().devices.list(merchant_id, PAGE_SIZE, cursor,
                                                  status=Status.ACTIVATED.value)
        # a MANAGER audits the POS devices of their stores only
        known.update({(d.merchant_id, d.id): d for d in devices if principal.sees_store(d.store_id)})
        if not cursor:
            break
    open_by_device: dict[tuple[str, str], list[dict]] = {}
    findings = adapters().findings.open_for_merchant(principal.merchant_id)
    if principal.store_ids is not None:
        ids = {f["pos_device_id"] for f in findings} - {device_id for _m, device_id in known}
        others = adapters().devices.get_many(principal.merchant_id, ids) if ids else {}
        findings = [f for f in findings if (principal.merchant_id, f["pos_device_id"]) in known
                    or (f["pos_device_id"] in others and principal.sees_store(others[f["pos_device_id"]].store_id))]
    for finding in findings:
        open_by_device.setdefault((finding["merchant_id"], finding["pos_device_id"]), []).append(finding)
    _audit_all(set(known) | set(open_by_device), known, open_by_device, summary)
    summary["finished_at"] = clock.iso()
    return summary


# ---------------------------------------------------------------- devices


def _audit_all(keys: set[tuple[str, str]], known: dict, open_by_device: dict, summary: dict) -> None:
    devices = dict(known)
    unread = [key for key in keys if key not in devices]
    for start in range(0, len(unread), PAGE_SIZE):
        batch = adapters().devices.get_for_audit(unread[start:start + PAGE_SIZE])
        devices.update({(d.merchant_id, d.id): d for d in batch})
    for key in sorted(keys):
        try:
            device = devices.get(key)
            if device is not None and final_sync_rules.expired(device, clock.iso()):
                device = close_expired_final_sync(device)
            if device is not None and key not in known and not rules.needs_audit(device):
                adapters().devices.drop_stale_audit_key(device)  # indexed under contention; nothing to look at
            for outcome in audit_device(key, device, open_by_device.get(key, [])):
                summary[outcome] += 1
            summary["devices_checked"] += 1
        except Exception:  # one broken device must not stop the run for everybody else
            summary["failed_devices"] += 1
            log.error("audit failed for device %s of merchant %s", key[1], key[0], exc_info=True,
                      extra={"event": "audit_device_failed", "merchant_id": key[0], "pos_device_id": key[1]})


def _gap_state(device: Device, current: dict | None) -> rules.GapState:
    """Where the search for missing numbers goes on: what the open finding says was checked, and never
    below the last point at which the slot had every receipt."""
    first = device.written_off_upto + 1
    complete = max(first - 1, min(device.complete_upto, device.last_receipt_number))
    if (current and current.get("checked_from") == first and current.get("checked_upto") is not None
            and current["checked_upto"] <= device.last_receipt_number):
        listed = tuple(parse_receipt_number(n)[1] for n in current.get("missing_receipt_numbers") or [])
        if int(current["checked_upto"]) > complete:
            return rules.GapState(first, int(current["checked_upto"]), listed)
        return rules.GapState(first, complete, tuple(seq for seq in listed if seq > complete))
    return rules.GapState(first, complete)


def _wanted(device: Device, open_by_type: dict[str, dict]) -> dict[str, tuple[rules.Finding, dict]]:
    """type -> (finding, extra fields to store) for what the device's record calls for now."""
    now, cfg = clock.now(), settings()
    wanted: dict[str, tuple[rules.Finding, dict]] = {}
    unsynced = device.unsynced_receipts
    if unsynced:
        state, _reads = rules.find_missing(
            _gap_state(device, open_by_type.get(rules.UNSYNCED_RECEIPTS)), device.last_receipt_number, unsynced,
            lambda seqs: adapters().receipts.held_seqs(device.merchant_id, device.number, seqs),
            gap=(device.final_sync_last_seq + 1, device.final_sync_upto) if device.final_sync_open else None)
        numbers = [format_receipt_number(device.number, seq) for seq in state.listed]
        finding = rules.unsynced_finding(device.name, numbers, max(unsynced, len(numbers)))
        if finding:
            wanted[finding.type] = (finding, {"checked_from": state.first, "checked_upto": state.checked_upto})
    last_heard = device.last_sync_at or device.activated_at
    for finding in (
        rules.silent_finding(device.name, device.shift_open, clock.parse(last_heard) if last_heard else None, now,
                             cfg.silent_hours),
        rules.long_shift_finding(device.name, device.shift_open,
                                 clock.parse(device.shift_opened_at) if device.shift_opened_at else None, now,
                                 cfg.shift_max_hours),
    ):
        if finding:
            wanted[finding.type] = (finding, {})
    return wanted


def audit_device(key: tuple[str, str], device: Device | None, open_findings: list[dict]) -> list[str]:
    merchant_id, device_id = key
    open_by_type = {f["type"]: f for f in open_findings}
    active = device is not None and device.status == Status.ACTIVATED and not device.deleted_at
    wanted = _wanted(device, open_by_type) if active else {}
    outcomes = []
    stamp = clock.iso()
    for type_, (finding, extra) in wanted.items():
        record = {"details": None, "details_key": finding.key, "details_params": finding.params,
                  "missing_receipt_numbers": list(finding.missing_receipt_numbers),
                  "missing_count": finding.missing_count, "last_seen_at": stamp} | extra
        current = open_by_type.get(type_)
        if current:
            if adapters().findings.refresh(merchant_id, current["id"], record):
                outcomes.append("refreshed")
        elif adapters().findings.raise_finding(
                (new := record | {"merchant_id": merchant_id, "id": new_id(), "pos_device_id": device_id,
                                  "type": type_, "first_seen_at": stamp, "resolved_at": None}),
                device.activation_id, event=finding_event("audit.finding_raised", new)):
            outcomes.append("raised")
    for type_, current in open_by_type.items():
        if (type_ not in wanted and type_ not in rules.RAISED_ONCE
                and adapters().findings.resolve(merchant_id, device_id, type_, current["id"], stamp,
                                                event=finding_event("audit.finding_resolved", current))):
            outcomes.append("resolved")
    return outcomes


def acknowledge_finding(principal: Principal, finding_id: str) -> dict:
    """A person saw a SHIFT_LEFT_OPEN finding (the audit never resolves it: nobody will close that shift): it is
    resolved now. The other findings resolve themselves once what they report is fixed (409)."""
    require_role(principal.role, BACK_OFFICE_ROLES, "acknowledge audit findings")
    found = [f for f in adapters().findings.open_for_merchant(principal.merchant_id) if f["id"] == finding_id]
    if not found:
        raise NotFound(key="NOT_FOUND.open_finding")
    finding = found[0]
    if principal.store_ids is not None:  # a MANAGER: a finding of another store's POS is not there (DESIGN.md 3.2)
        device = adapters().devices.get(principal.merchant_id, finding["pos_device_id"])
        if device is None or not principal.sees_store(device.store_id):
            raise NotFound(key="NOT_FOUND.open_finding")
    if finding["type"] not in rules.RAISED_ONCE:
        raise Conflict(code="FINDING_RESOLVES_ITSELF")
    at = clock.iso()
    if not adapters().findings.resolve(principal.merchant_id, finding["pos_device_id"], finding["type"], finding_id, at,
                                       event=finding_event("audit.finding_resolved", finding)):
        raise NotFound(key="NOT_FOUND.open_finding")  # resolved meanwhile
    return finding | {"resolved_at": at}
