"""The activity log as sentences: an event's type and details, with names instead of ids, in the request's
language (the message keys `event.<type>` in chalicelib/i18n). An event type with no sentence gets none
(`text: null`); tests/unit/test_i18n_catalog.py checks that every type the code writes has one."""
from chalicelib.domain import actors
from chalicelib.i18n import ref, render, text_of


def _employee(names: dict, employee_id) -> dict | str:
    if not employee_id:
        return ref("event.nobody")
    return names["employees"].get(employee_id) or ref("event.former_employee")


def _store(names: dict, store_id, fallback=None) -> dict | str:
    return names["stores"].get(store_id) or fallback or ref("event.deleted_store")


def full_actor(actor: dict | None, names: dict) -> dict:
    """The actor in the v1.2 shape (domain/actors.py) with its name (and an employee's role): as stored, else as
    the records are now (an event written before v1.2 stored ids only)."""
    actor = actors.normalize(actor)
    if actor["type"] == actors.EMPLOYEE:
        actor["name"] = actor.get("name") or names["employees"].get(actor.get("id"))
        actor["role"] = actor.get("role") or (names.get("roles") or {}).get(actor.get("id"))
    elif actor["type"] == actors.DEVICE:
        actor["name"] = actor.get("name") or (names["devices"].get(actor.get("id")) or {}).get("name")
    return actor


def actor_name(actor: dict | None, names: dict) -> str:
    actor = full_actor(actor, names)
    if actor["type"] == actors.EMPLOYEE:
        name = actor.get("name") or _employee(names, actor.get("id"))
        if actor.get("role"):
            return render("event.actor.employee.role", {"name": name, "role": ref(f"event.role.{actor['role']}")})
        return render("event.actor.employee", {"name": name})
    if actor["type"] == actors.DEVICE:
        return render("event.actor.pos_device", {"pos": actor.get("name") or "?",
                                                 "name": _employee(names, actor.get("employee_id"))})
    if actor["type"] == actors.API_TOKEN:
        return render("event.actor.api_token", {"name": actor.get("name") or "?"})
    # Which system acted: the safe deletion (the default) or the final-sync window closing on its own.
    if actor.get("id") == "audit":
        return render("event.actor.system.audit")
    return render("event.actor.system.final-sync" if actor.get("id") == "final-sync" else "event.actor.system")


def summary(who: str, text_: str | None) -> str | None:
    """Who did what, in one line: "Anna Nowak (kierownik): Dezaktywowano POS „Kasa 2”; …" (a neutral form: the
    catalog knows no one's gender, so the sentence never conjugates a verb for the actor)."""
    return render("event.summary", {"actor": who, "text": text_}) if text_ else None


def text(event: dict, names: dict) -> str | None:
    type_, d = event["type"], event.get("details") or {}
    device = names["devices"].get(event.get("pos_device_id")) or {}
    params = {"pos": device.get("name") or d.get("name") or "?"}
    key = f"event.{type_}"
    if type_ in ("store.created", "store.updated", "store.deleted"):
        params["store"] = _store(names, d.get("store_id"), d.get("name"))
    elif type_.startswith("employee."):
        params["employee"] = names["employees"].get(d.get("employee_id")) or d.get("name") or ref("event.former_employee")
    elif type_ == "pos_device.created":
        params |= {"pos": d.get("name") or params["pos"], "store": _store(names, d.get("store_id"))}
    elif type_ == "pos_device.renamed":
        params |= {"from": d.get("from") or "?", "to": d.get("to") or "?"}
    elif type_ == "pos_device.moved":
        params |= {"from_store": _store(names, d.get("from_store_id")), "to_store": _store(names, d.get("to_store_id"))}
    elif type_ == "pos_device.activated":
        params |= {"employee": _employee(names, d.get("employee_id")),
                   "next": f"{device.get('number', '?')}-{d.get('next_receipt_seq', '?')}"}
        key += ".pairing_code" if d.get("method") == "PAIRING_CODE" else ""  # LOGIN (and older events): the plain one
    elif type_ == "pos_device.deactivated" and d.get("final_sync_until"):
        params |= {"until": d["final_sync_until"], "count": int(d.get("owed_receipts") or 0)}
        key += ".final_sync"
    elif type_ == "pos_device.deactivated":
        params["count"] = int(d.get("lost_receipts") or 0)
        key += ".lost" if params["count"] else ".none_lost"
        if actors.normalize(event.get("actor"))["type"] == actors.SYSTEM:
            key += ".by_deletion"
    elif type_ == "pos_device.final_sync_closed":
        params |= {"reason": ref(f"event.final_sync.reason.{d.get('reason')}"),
                   "received": int(d.get("received_receipts") or 0), "lost": int(d.get("lost_receipts") or 0)}
    elif type_ == "pos_device.pairing_code_created":
        params["until"] = d.get("expires_at") or "?"
        key += ".replaced" if d.get("replaced") else ""
    elif type_ == "pos_device.user_switched":
        params |= {"from": _employee(names, d.get("from")), "to": _employee(names, d.get("to"))}
    elif type_ == "pos_device.deletion_requested":
        key += "." + {"DELETE": "no_checks", "DEACTIVATE": "forced"}.get(d.get("route"), "checks")
    elif type_ == "pos_device.deletion_failed":
        params["reason"] = text_of(d.get("error")) or render("deletion.error.failed")
    elif type_ == "receipts.created":
        params["count"] = len(d.get("receipt_numbers") or [])
    elif type_ == "pos_device.deleted":
        key += ".forced" if d.get("forced") else ""
    rendered = render(key, params, fallback="")
    return rendered or None
