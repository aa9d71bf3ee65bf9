"""A POS app on the command line: `python -m local.pos_sim <command>` (standard library only; not deployed).

It talks HTTP to the back office (`--base-url`, default http://127.0.0.1:8000) the way the real POS app
does, and keeps what the app keeps on the phone in a state file (`--state`, default
.local/pos_sim.json): the device token, the POS's number, the next receipt number, the current shift and
the offline queue of receipts and shift events. Selling and opening or closing a shift work offline;
only `login`, `activate`, `pair`, `switch-user`, `state`, `sync` and `status` touch the network.

Deactivated with a final sync (the back office's "let the old device upload its unsynced receipts for N
hours"), `sync` still uploads the whole queue, then reports what the server received and signs out of
the POS; deactivated without one, the token and the queue are dropped (as the seed article warns).

    login --email E --password P     log in with the owner's (or a manager's) account; lists the free POS
    activate --pos ID|NAME|NUMBER    take one of them (this "installation" becomes that POS)
    pair --code K7QM-4XRT            take the POS a pairing code from the back office is for (no password)
    switch-user --employee-id ID --pin PIN   (or --email E --password P)
    open-shift [--cash CENTS]        open a shift (offline: queued)
    sell [--count N] [--total CENTS] ring up N receipts (offline: queued)
    close-shift [--cash CENTS]       close the shift, counting the drawer (offline: queued)
    state [--open-tickets N]         report the device's state only (no receipts)
    sync                             push the queue in batches of at most 250 receipts, with the state
    status                           the local state and the POS as the server sees it

Money is in minor units (cents). Exit codes: 0 done, 1 failed (nothing lost: run it again), 2 bad
usage, 3 the POS was deactivated or deleted in the back office (it signed out: after a final sync with
its queue uploaded, otherwise with its unsynced queue dropped).
Run several simulated devices with one state file each (`--state .local/till2.json`).
"""
import argparse
import json
import os
import socket
import sys
import uuid
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
MAX_RECEIPTS_PER_BATCH = 250
MAX_SHIFTS_PER_BATCH = 50
TIMEOUT_SECONDS = 30
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_REVOKED = 0, 1, 2, 3
REVOKED_CODES = {
    "FINAL_SYNC": "was deactivated in the back office with a final sync",
    "DEVICE_DEACTIVATED": "was deactivated in the back office",
    "DEVICE_DELETED": "was deleted in the back office",
}


def default_state_path() -> Path:
    return Path(os.environ.get("POS_LOCAL_STATE_DIR") or ROOT / ".local") / "pos_sim.json"


class SimError(Exception):
    """A failure to report in words; `exit_code` is what the command exits with."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED):
        super().__init__(message)
        self.exit_code = exit_code


class ApiError(SimError):
    def __init__(self, status: int, errors: list[dict], method: str, path: str):
        self.status, self.errors = status, errors
        first = errors[0] if errors else {}
        self.code = first.get("code")
        lines = [f"{method} {path} answered {status}:"]
        for error in errors or [{"code": "?", "details": "(no error body)"}]:
            field = f" [{error['field']}]" if error.get("field") else ""
            lines.append(f"  {error.get('code')}{field}: {error.get('details')}")
        super().__init__("\n".join(lines))


# ---------------------------------------------------------------- state file


def _empty_state() -> dict:
    return {"base_url": None, "installation_id": None, "login": None, "device_token": None, "pos_device": None,
            "employee": None, "next_seq": 1, "shift": None, "open_tickets": 0,
            "queue": {"receipts": [], "shifts": []}, "rejected": [], "revoked": None}


class State:
    def __init__(self, path: Path):
        self.path = path
        self.data = _empty_state()
        if path.exists():
            try:
                loaded = json.loads(path.read_text())
            except (OSError, ValueError) as exc:
                raise SimError(f"The simulator's state file {path} cannot be read ({exc}); move it away to "
                               "start afresh.") from None
            if not isinstance(loaded, dict):
                raise SimError(f"The simulator's state file {path} is not a JSON object; move it away.")
            self.data.update(loaded)

    def __getitem__(self, key):
        return self.data[key]

    def __setitem__(self, key, value):
        self.data[key] = value

    @property
    def queue(self) -> dict:
        return self.data["queue"]

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps(self.data, indent=2))
        os.replace(tmp, self.path)  # never half a state file, even when interrupted

    def forget_device(self) -> None:
        for key in ("device_token", "pos_device", "employee", "shift"):
            self.data[key] = None
        self.data.update(next_seq=1, open_tickets=0, queue={"receipts": [], "shifts": []}, rejected=[])


# ---------------------------------------------------------------- HTTP


class Api:
    def __init__(self, base_url: str):
        self.base_url = base_url.rstrip("/")

    def call(self, method: str, path: str, body: dict | None = None, token: str | None = None) -> dict:
        headers = {"Accept": "application/json", "User-Agent": "pos-sim/1"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.base_url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                errors = json.loads(raw).get("errors") or []
            except (ValueError, AttributeError):
                errors = [{"code": f"HTTP_{exc.code}", "details": raw.decode(errors="replace")[:300] or exc.reason}]
            raise ApiError(exc.code, errors, method, path) from None
        except (urllib.error.URLError, OSError, socket.timeout) as exc:
            reason = getattr(exc, "reason", exc)
            raise SimError(f"Cannot reach the back office at {self.base_url} ({reason}). Is it running "
                           "(`make run`)? Nothing was lost: run the command again when it is up.") from None
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            raise SimError(f"{method} {path}: the answer is not JSON: {raw[:200]!r}") from None


def _device_call(state: State, api: Api, method: str, path: str, body: dict | None = None) -> dict:
    """A call with the device token; a revoked or deleted POS drops its token and queue, like the real app."""
    if not state["device_token"]:
        raise SimError("This simulator holds no activated POS: run `login` and `activate` first.")
    try:
        return api.call(method, path, body, state["device_token"])
    except ApiError as exc:
        if exc.status == 401 and exc.code in REVOKED_CODES:
            raise _revoked(state, exc.code) from None
        if exc.status == 401 and exc.code == "UNAUTHENTICATED":
            raise SimError(f"The back office at {api.base_url} does not know this device token (was its data "
                           f"reset?). The queue is kept ({_queue_text(state)}); activate a POS again with "
                           "`login` and `activate --discard` to start over.") from None
        raise


def _revoked(state: State, code: str) -> SimError:
    device = state["pos_device"] or {}
    receipts = [r["receipt_number"] for r in state.queue["receipts"]]
    shifts = len(state.queue["shifts"])
    lines = [f"This POS (#{device.get('number')} '{device.get('name')}') {REVOKED_CODES[code]} ({code}).",
             "Its device token no longer works, so this app signs out of it."]
    if receipts or shifts:
        lines.append(f"Dropped what had not reached the server: {len(receipts)} receipt(s)"
                     f"{' (' + _numbers_text(receipts) + ')' if receipts else ''} and {shifts} shift event(s).")
    else:
        lines.append("Nothing unsynced was lost: every receipt had reached the server.")
    lines.append("Log in and activate a POS to carry on selling.")
    state.forget_device()
    state["revoked"] = {"code": code, "pos_device": device, "at": _now(), "dropped_receipts": receipts,
                        "dropped_shift_events": shifts}
    state.save()
    return SimError("\n".join(lines), EXIT_REVOKED)


def _final_sync_done(state: State, device: dict, totals: dict) -> SimError:
    """Deactivated with a final sync: the queue went up instead of being dropped; say so and sign out."""
    pos = state["pos_device"] or {}
    lines = [f"This POS (#{pos.get('number')} '{pos.get('name')}') was deactivated in the back office with a final "
             "sync, so it uploaded its queue instead of dropping it: "
             f"{totals['accepted']} receipt(s) accepted, {totals['duplicates']} already there, "
             f"{totals['rejected']} rejected."]
    if device.get("final_sync_until"):
        lines.append(f"The final sync stays open until {device['final_sync_until']}; the server still expects "
                     f"{device.get('final_sync_owed_receipts', 0)} receipt(s) from this device.")
    else:
        lines.append("The final sync is over: the server has every receipt this device reported.")
    lines.append("This app can no longer sell on this POS, so it signs out of it. Log in or pair to carry on.")
    state.forget_device()
    state["revoked"] = {"code": "FINAL_SYNC", "pos_device": pos, "at": _now(), "dropped_receipts": [],
                        "dropped_shift_events": 0, "uploaded_receipts": totals["accepted"]}
    state.save()
    return SimError("\n".join(lines), EXIT_REVOKED)


# ---------------------------------------------------------------- formatting


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _money(cents) -> str:
    if cents is None:
        return "-"
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def _numbers_text(numbers: list[str]) -> str:
    if len(numbers) <= 4:
        return ", ".join(numbers)
    return f"{numbers[0]}, {numbers[1]} … {numbers[-1]}"


def _queue_text(state: State) -> str:
    receipts = [r["receipt_number"] for r in state.queue["receipts"]]
    text = f"{len(receipts)} receipt(s)"
    if receipts:
        text += f" ({_numbers_text(receipts)})"
    return text + f", {len(state.queue['shifts'])} shift event(s)"


def _server_view(device: dict) -> str:
    shift = "open" if device.get("shift_open") else "closed"
    text = (f"Server sees POS #{device['number']} '{device['name']}': {device['status']}"
            f"{' (deleted)' if device.get('deleted_at') else ''}; last receipt {device['number']}-"
            f"{device['last_receipt_number']}, {device['synced_receipts']} synced, {device['unsynced_receipts']} "
            f"missing; shift {shift}; {device['open_tickets']} open ticket(s).")
    if device.get("final_sync_until"):
        text += (f"\n  final sync open until {device['final_sync_until']}: "
                 f"{device.get('final_sync_owed_receipts', 0)} receipt(s) still expected from the old device")
    deletion = device.get("deletion")
    if deletion:
        text += f"\n  deletion {deletion['status']} (step {deletion.get('step')})"
        if deletion.get("error"):
            text += f": {deletion['error']['code']}: {deletion['error']['details']}"
    return text


def _state_report(state: State) -> dict:
    return {"last_receipt_number": state["next_seq"] - 1, "open_tickets": int(state["open_tickets"]),
            "shift_open": state["shift"] is not None}


def _queue_shift(state: State, shift: dict) -> None:
    """The server upserts shifts by id, so only the latest version of each needs to travel."""
    event = {k: shift[k] for k in ("id", "opened_at", "closed_at", "opened_by_employee", "closed_by_employee",
                                   "starting_cash", "expected_cash", "actual_cash")}
    state.queue["shifts"] = [s for s in state.queue["shifts"] if s["id"] != event["id"]] + [event]


def _require_device(state: State) -> dict:
    if not state["device_token"]:
        raise SimError("This simulator holds no activated POS: run `login` and `activate` first.")
    return state["pos_device"]


# ---------------------------------------------------------------- commands


def cmd_login(args, state: State, api: Api) -> None:
    result = api.call("POST", "/v1/pos/login", {"email": args.email, "password": args.password})
    state["login"] = {"email": args.email, "login_token": result["login_token"], "pos_devices": result["pos_devices"]}
    state.save()
    devices = result["pos_devices"]
    print(f"Logged in as {args.email}.")
    if not devices:
        print("No POS is free to take: create one in the back office (or deactivate one), then log in again.")
        return
    print("POS devices this app may take:")
    for device in devices:
        print(f"  #{device['number']:<3} {device['name']:<20} {device['status']:<14} store {device['store_name']}"
              f"   id {device['id']}")
    print(f"Next: activate --pos \"{devices[0]['name']}\"")


def _pick(devices: list[dict], wanted: str) -> dict | None:
    for match in (
        lambda d: d["id"] == wanted,
        lambda d: d["name"].casefold() == wanted.casefold(),
        lambda d: wanted.isdigit() and d["number"] == int(wanted),
    ):
        found = [d for d in devices if match(d)]
        if len(found) > 1:
            raise SimError(f"'{wanted}' matches {len(found)} POS devices; use the id.")
        if found:
            return found[0]
    return None


def cmd_activate(args, state: State, api: Api) -> None:
    if state["device_token"]:
        current = state["pos_device"]
        if (state.queue["receipts"] or state.queue["shifts"]) and not args.discard:
            raise SimError(f"This simulator is POS #{current['number']} '{current['name']}' with unsynced data "
                           f"({_queue_text(state)}). Sync first, or pass --discard to drop it.")
    login = state["login"]
    if not login:
        raise SimError("Log in first: login --email E --password P")
    device = _pick(login["pos_devices"], args.pos)
    if device is None:
        names = ", ".join(f"#{d['number']} '{d['name']}'" for d in login["pos_devices"]) or "none"
        raise SimError(f"No free POS '{args.pos}' in the last login's list (free: {names}). Log in again to "
                       "refresh it.")
    installation_id = args.installation_id or state["installation_id"] or f"pos-sim-{uuid.uuid4()}"
    state["installation_id"] = installation_id
    result = api.call("POST", "/v1/pos/activate", {"login_token": login["login_token"], "pos_device_id": device["id"],
                                                     "installation_id": installation_id})
    _take(state, result, installation_id, device.get("store_name"), "Activated")


def _take(state: State, result: dict, installation_id: str, store_name: str | None, verb: str) -> None:
    """Keep what /v1/pos/activate or /v1/pos/pair answered: this installation is now that POS."""
    pos = result["pos_device"]
    state.forget_device()
    state["device_token"] = result["device_token"]
    state["pos_device"] = {"id": pos["id"], "name": pos["name"], "number": pos["number"], "store_id": pos["store_id"],
                           "store_name": store_name}
    state["employee"] = {k: result["employee"].get(k) for k in ("id", "name", "role")}
    state["next_seq"] = int(result["next_receipt_seq"])
    state["revoked"] = None
    state.save()
    print(f"{verb} POS #{pos['number']} '{pos['name']}'{f' (store {store_name})' if store_name else ''} on "
          f"installation {installation_id}.")
    print(f"Signed in: {result['employee'].get('name')} ({result['employee'].get('role')}). "
          f"Next receipt: {pos['number']}-{state['next_seq']}.")


def cmd_pair(args, state: State, api: Api) -> None:
    """Activate with a pairing code shown in the back office: no owner password on this device."""
    if state["device_token"] and (state.queue["receipts"] or state.queue["shifts"]) and not args.discard:
        current = state["pos_device"]
        raise SimError(f"This simulator is POS #{current['number']} '{current['name']}' with unsynced data "
                       f"({_queue_text(state)}). Sync first, or pass --discard to drop it.")
    installation_id = args.installation_id or state["installation_id"] or f"pos-sim-{uuid.uuid4()}"
    state["installation_id"] = installation_id
    try:
        result = api.call("POST", "/v1/pos/pair", {"code": args.code, "installation_id": installation_id})
    except ApiError as exc:
        if exc.code == "PAIRING_CODE_INVALID":
            raise SimError(f"The pairing code {args.code} is wrong, expired or already used: generate a new one on "
                           "the POS card in the back office.") from None
        if exc.status == 429:
            raise SimError(f"Too many wrong pairing codes: {exc.errors[0].get('details')}") from None
        raise
    _take(state, result, installation_id, None, "Paired with a code: activated")


def cmd_switch_user(args, state: State, api: Api) -> None:
    _require_device(state)
    if args.pin or args.employee_id:
        if not (args.pin and args.employee_id):
            raise SimError("Give both --employee-id and --pin (or --email and --password).", EXIT_USAGE)
        body = {"employee_id": args.employee_id, "pin": args.pin}
    elif args.email and args.password:
        body = {"email": args.email, "password": args.password}
    else:
        raise SimError("Give --employee-id and --pin, or --email and --password.", EXIT_USAGE)
    employee = _device_call(state, api, "POST", "/v1/pos/switch_user", body)["employee"]
    state["employee"] = {k: employee.get(k) for k in ("id", "name", "role")}
    state.save()
    print(f"Signed in on POS '{state['pos_device']['name']}': {employee.get('name')} ({employee.get('role')}).")


def cmd_open_shift(args, state: State, _api: Api) -> None:
    _require_device(state)
    if state["shift"]:
        raise SimError(f"A shift is already open (since {state['shift']['opened_at']}); close it first.")
    if args.cash < 0:
        raise SimError("--cash cannot be negative.", EXIT_USAGE)
    employee_id = (state["employee"] or {}).get("id")
    shift = {"id": str(uuid.uuid4()), "opened_at": _now(), "closed_at": None, "opened_by_employee": employee_id,
             "closed_by_employee": None, "starting_cash": args.cash, "expected_cash": None, "actual_cash": None,
             "cash_sales": 0}
    state["shift"] = shift
    _queue_shift(state, shift)
    state.save()
    print(f"Shift opened at {shift['opened_at']} with {_money(args.cash)} in the drawer (offline; it reaches the "
          f"server with the next `sync`). Queue: {_queue_text(state)}.")


def cmd_close_shift(args, state: State, _api: Api) -> None:
    _require_device(state)
    shift = state["shift"]
    if not shift:
        raise SimError("No shift is open.")
    expected = shift["starting_cash"] + shift["cash_sales"]
    actual = expected if args.cash is None else args.cash
    shift = shift | {"closed_at": _now(), "closed_by_employee": (state["employee"] or {}).get("id"),
                     "expected_cash": expected, "actual_cash": actual}
    _queue_shift(state, shift)
    state["shift"] = None
    state.save()
    print(f"Shift closed at {shift['closed_at']}: expected {_money(expected)}, counted {_money(actual)} "
          f"(difference {_money(actual - expected)}). Queue: {_queue_text(state)}.")


def cmd_sell(args, state: State, _api: Api) -> None:
    device = _require_device(state)
    shift = state["shift"]
    if not shift:
        raise SimError("Open a shift first: open-shift [--cash CENTS]")
    if args.count < 1 or args.total < 1:
        raise SimError("--count and --total must be at least 1.", EXIT_USAGE)
    employee_id = (state["employee"] or {}).get("id")
    numbers = []
    for _ in range(args.count):
        number = f"{device['number']}-{state['next_seq']}"
        state.queue["receipts"].append({
            "id": str(uuid.uuid4()), "receipt_number": number, "receipt_type": "SALE", "created_at": _now(),
            "employee_id": employee_id, "shift_id": shift["id"],
            "line_items": [{"item_name": args.item, "quantity": 1, "price": args.total, "total_money": args.total}],
            "payments": [{"type": "CASH", "money_amount": args.total}], "total_money": args.total, "total_tax": 0})
        state["next_seq"] += 1
        shift["cash_sales"] += args.total
        numbers.append(number)
    state.save()
    print(f"Rang up {len(numbers)} receipt(s) offline: {_numbers_text(numbers)} ({_money(args.total)} each, cash). "
          f"Queue: {_queue_text(state)}.")


def cmd_state(args, state: State, api: Api) -> None:
    _require_device(state)
    if args.open_tickets is not None:
        if args.open_tickets < 0:
            raise SimError("--open-tickets cannot be negative.", EXIT_USAGE)
        state["open_tickets"] = args.open_tickets
        state.save()
    report = _state_report(state)
    result = _device_call(state, api, "POST", "/v1/pos/sync", {"state": report})
    number = state["pos_device"]["number"]
    print(f"Reported the state only: last receipt {number}-{report['last_receipt_number']}, shift "
          f"{'open' if report['shift_open'] else 'closed'}, {report['open_tickets']} open ticket(s). "
          f"Still queued: {_queue_text(state)}.")
    print(_server_view(result["pos_device"]))


def cmd_sync(_args, state: State, api: Api) -> None:
    _require_device(state)
    totals = {"accepted": 0, "duplicates": 0, "rejected": 0}
    batch_number, result = 0, None
    while batch_number == 0 or state.queue["receipts"] or state.queue["shifts"]:
        batch_number += 1
        receipts = state.queue["receipts"][:MAX_RECEIPTS_PER_BATCH]
        shifts = state.queue["shifts"][:MAX_SHIFTS_PER_BATCH]
        body = {"state": _state_report(state), "shifts": shifts, "receipts": receipts}
        result = _device_call(state, api, "POST", "/v1/pos/sync", body)
        numbers = {r["id"]: r["receipt_number"] for r in receipts}
        rejected = [{"id": r.get("id"), "receipt_number": numbers.get(r.get("id")), "code": r.get("code"),
                     "details": r.get("details"), "at": _now()} for r in result["rejected"]]
        # Accepted and duplicate receipts are on the server; rejected ones leave the queue (resending cannot
        # help) but stay listed under `rejected`, as the real app shows them for a human to look at.
        sent_ids = set(numbers)
        state.queue["receipts"] = [r for r in state.queue["receipts"] if r["id"] not in sent_ids]
        state.queue["shifts"] = state.queue["shifts"][len(shifts):]
        state["rejected"] = state["rejected"] + rejected
        state.save()
        totals["accepted"] += result["accepted"]
        totals["duplicates"] += result["duplicates"]
        totals["rejected"] += len(rejected)
        print(f"Batch {batch_number}: sent {len(receipts)} receipt(s) and {len(shifts)} shift event(s): "
              f"{result['accepted']} accepted, {result['duplicates']} duplicate(s), {len(rejected)} rejected.")
        for item in rejected:
            print(f"  rejected {item['receipt_number'] or item['id']}: {item['code']}: {item['details']}")
        unaccounted = len(receipts) - result["accepted"] - result["duplicates"] - len(rejected)
        if unaccounted:
            print(f"  warning: the server accounted for {len(receipts) - unaccounted} of {len(receipts)} receipts.")
    print(f"Synced: {totals['accepted']} accepted, {totals['duplicates']} duplicate(s), {totals['rejected']} "
          f"rejected. Queue: {_queue_text(state)}.")
    print(_server_view(result["pos_device"]))
    if result["pos_device"]["status"] != "ACTIVATED":
        raise _final_sync_done(state, result["pos_device"], totals)
    if totals["rejected"]:
        raise SimError(f"{totals['rejected']} receipt(s) were rejected; see above (and `status`).")


def cmd_status(_args, state: State, api: Api) -> None:
    print(f"Simulator state: {state.path}")
    print(f"  back office:  {api.base_url}")
    device = state["pos_device"]
    if state["device_token"] and device:
        print(f"  POS:          #{device['number']} '{device['name']}' (store {device.get('store_name')}), "
              f"id {device['id']}")
        employee = state["employee"] or {}
        print(f"  signed in:    {employee.get('name')} ({employee.get('role')})")
        print(f"  next receipt: {device['number']}-{state['next_seq']}")
        shift = state["shift"]
        print("  shift:        " + (f"open since {shift['opened_at']}, starting cash {_money(shift['starting_cash'])}, "
                                    f"cash sales {_money(shift['cash_sales'])}" if shift else "closed"))
        print(f"  open tickets: {state['open_tickets']}")
    else:
        print("  POS:          none activated (login, then activate)")
        revoked = state["revoked"]
        if revoked:
            print(f"  last POS:     #{revoked['pos_device'].get('number')} '{revoked['pos_device'].get('name')}' "
                  f"{REVOKED_CODES.get(revoked['code'], revoked['code'])} ({revoked['code']}); "
                  f"{len(revoked['dropped_receipts'])} unsynced receipt(s) dropped"
                  + (f", {revoked['uploaded_receipts']} uploaded in the final sync"
                     if revoked.get("uploaded_receipts") is not None else ""))
    print(f"  queue:        {_queue_text(state)}")
    if state["rejected"]:
        print(f"  rejected:     {len(state['rejected'])} receipt(s):")
        for item in state["rejected"]:
            print(f"    {item['receipt_number'] or item['id']}: {item['code']}: {item['details']}")
    if state["device_token"]:
        me = _device_call(state, api, "GET", "/v1/pos/me")
        print(_server_view(me))


COMMANDS = {
    "login": cmd_login, "activate": cmd_activate, "pair": cmd_pair, "switch-user": cmd_switch_user, "open-shift": cmd_open_shift,
    "close-shift": cmd_close_shift, "sell": cmd_sell, "state": cmd_state, "sync": cmd_sync, "status": cmd_status,
}


def build_parser() -> argparse.ArgumentParser:
    # --base-url and --state are accepted before or after the command.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--base-url", default=argparse.SUPPRESS,
                        help=f"the back office (default: the state file's, else {DEFAULT_BASE_URL})")
    common.add_argument("--state", type=Path, default=argparse.SUPPRESS,
                        help="the state file (default: pos_sim.json in $POS_LOCAL_STATE_DIR, else in .local)")
    parser = argparse.ArgumentParser(prog="python -m local.pos_sim", parents=[common],
                                     description="A POS app on the command line, for the local back office.",
                                     epilog="Exit codes: 0 done, 1 failed, 2 bad usage, 3 the POS was deactivated "
                                            "or deleted (its token and unsynced queue were dropped).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")

    p = sub.add_parser("login", parents=[common], help="log in with the owner's account; lists the free POS")
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p = sub.add_parser("activate", parents=[common], help="take a POS from the login's list")
    p.add_argument("--pos", required=True, help="its id, name or number")
    p.add_argument("--installation-id", help="this app installation's id (default: one kept in the state file)")
    p.add_argument("--discard", action="store_true", help="drop the unsynced queue of the POS held now")
    p = sub.add_parser("pair", parents=[common], help="take a POS with a pairing code from the back office")
    p.add_argument("--code", required=True, help="the code shown on the POS card, e.g. K7QM-4XRT")
    p.add_argument("--installation-id", help="this app installation's id (default: one kept in the state file)")
    p.add_argument("--discard", action="store_true", help="drop the unsynced queue of the POS held now")
    p = sub.add_parser("switch-user", parents=[common], help="switch the signed-in employee")
    p.add_argument("--employee-id")
    p.add_argument("--pin")
    p.add_argument("--email")
    p.add_argument("--password")
    p = sub.add_parser("open-shift", parents=[common], help="open a shift (offline)")
    p.add_argument("--cash", type=int, default=0, help="starting cash in the drawer, in cents (default 0)")
    p = sub.add_parser("close-shift", parents=[common], help="close the shift (offline)")
    p.add_argument("--cash", type=int, default=None, help="cash counted in the drawer, in cents (default: expected)")
    p = sub.add_parser("sell", parents=[common], help="ring up receipts (offline)")
    p.add_argument("--count", type=int, default=1, help="how many receipts (default 1)")
    p.add_argument("--total", type=int, default=450, help="each receipt's total, in cents (default 450)")
    p.add_argument("--item", default="Coffee", help="the item's name (default Coffee)")
    p = sub.add_parser("state", parents=[common], help="report the device's state, without receipts")
    p.add_argument("--open-tickets", type=int, default=None, help="set the number of open tickets first")
    sub.add_parser("sync", parents=[common], help="push the queue and the state")
    sub.add_parser("status", parents=[common], help="the local state and the server's view")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        state = State(getattr(args, "state", None) or default_state_path())
        base_url = getattr(args, "base_url", None) or state["base_url"] or DEFAULT_BASE_URL
        if state["base_url"] != base_url:
            state["base_url"] = base_url
            if state.path.exists() or args.command != "status":
                state.save()
        COMMANDS[args.command](args, state, Api(base_url))
    except SimError as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    return EXIT_OK


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `... | head`: the reader left; the state file is saved already
        sys.stderr.close()
        sys.exit(EXIT_OK)
