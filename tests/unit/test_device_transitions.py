"""The device lifecycle table (chalicelib/domain/devices.py): every status x every action.

The expected table is written out here by hand from docs/CONTRACT.md sections 4 and 5, on purpose not
derived from the code's TRANSITIONS dict, so that a changed rule makes a test fail.
"""
import itertools
from pathlib import Path

import pytest

from chalicelib.domain.devices import Action, Device, Status, transition, unsynced_count
from chalicelib.errors import IllegalTransition

S, A = Status, Action
PUBLIC_STATUSES = [S.NOT_ACTIVATED, S.ACTIVATED, S.INACTIVE]

# (status, action) -> resulting status, or the error code of the 409.
EXPECTED = {
    (S.NOT_ACTIVATED, A.RENAME): S.NOT_ACTIVATED,
    (S.NOT_ACTIVATED, A.ACTIVATE): S.ACTIVATED,
    (S.NOT_ACTIVATED, A.SWITCH_USER): "ILLEGAL_TRANSITION",
    (S.NOT_ACTIVATED, A.SYNC): "ILLEGAL_TRANSITION",
    (S.NOT_ACTIVATED, A.DEACTIVATE): "NOT_ACTIVATED",
    (S.NOT_ACTIVATED, A.REQUEST_DELETION): S.NOT_ACTIVATED,
    (S.NOT_ACTIVATED, A.DELETE): S.DELETED,
    (S.NOT_ACTIVATED, A.MOVE_STORE): S.NOT_ACTIVATED,

    (S.ACTIVATED, A.RENAME): S.ACTIVATED,
    (S.ACTIVATED, A.ACTIVATE): "SLOT_TAKEN",
    (S.ACTIVATED, A.SWITCH_USER): S.ACTIVATED,
    (S.ACTIVATED, A.SYNC): S.ACTIVATED,
    (S.ACTIVATED, A.DEACTIVATE): S.INACTIVE,
    (S.ACTIVATED, A.REQUEST_DELETION): S.ACTIVATED,
    (S.ACTIVATED, A.DELETE): "STILL_ACTIVATED",
    (S.ACTIVATED, A.MOVE_STORE): "STILL_ACTIVATED",

    (S.INACTIVE, A.RENAME): S.INACTIVE,
    (S.INACTIVE, A.ACTIVATE): S.ACTIVATED,
    (S.INACTIVE, A.SWITCH_USER): "ILLEGAL_TRANSITION",
    (S.INACTIVE, A.SYNC): "ILLEGAL_TRANSITION",
    (S.INACTIVE, A.DEACTIVATE): "ALREADY_INACTIVE",
    (S.INACTIVE, A.REQUEST_DELETION): S.INACTIVE,
    (S.INACTIVE, A.DELETE): S.DELETED,
    (S.INACTIVE, A.MOVE_STORE): S.INACTIVE,
}

# While a deletion runs only the workflow's own steps (deactivate, delete) and harmless actions pass.
BLOCKED_WHILE_DELETING = {A.ACTIVATE, A.REQUEST_DELETION, A.MOVE_STORE}


def test_the_expected_table_covers_every_public_status_and_action():
    assert set(EXPECTED) == set(itertools.product(PUBLIC_STATUSES, list(Action)))


@pytest.mark.parametrize(("status", "action"), sorted(EXPECTED, key=lambda k: (k[0].value, k[1].value)),
                         ids=lambda v: v.value)
def test_transition(status, action):
    expected = EXPECTED[(status, action)]
    if isinstance(expected, Status):
        assert transition(status, action) == expected
    else:
        with pytest.raises(IllegalTransition) as caught:
            transition(status, action)
        error = caught.value
        assert error.code == expected
        assert error.status == 409
        assert error.details
        assert error.field is None
        assert error.to_dict() == {"code": expected, "details": error.details, "field": None}


@pytest.mark.parametrize(("status", "action"), list(itertools.product(PUBLIC_STATUSES, list(Action))),
                         ids=lambda v: v.value)
def test_transition_while_deleting(status, action):
    expected = EXPECTED[(status, action)]
    if action in BLOCKED_WHILE_DELETING:
        with pytest.raises(IllegalTransition) as caught:
            transition(status, action, deleting=True)
        assert caught.value.code == "DELETION_IN_PROGRESS"
        assert caught.value.status == 409
    elif isinstance(expected, Status):
        assert transition(status, action, deleting=True) == expected
    else:  # still illegal for its own reason
        with pytest.raises(IllegalTransition) as caught:
            transition(status, action, deleting=True)
        assert caught.value.code == expected


@pytest.mark.parametrize("deleting", [False, True])
@pytest.mark.parametrize("action", list(Action), ids=lambda v: v.value)
def test_a_deleted_slot_allows_nothing(action, deleting):
    with pytest.raises(IllegalTransition) as caught:
        transition(S.DELETED, action, deleting=deleting)
    assert caught.value.code == "DEVICE_DELETED"
    assert caught.value.status == 409


def test_illegal_details_name_the_status_and_action():
    with pytest.raises(IllegalTransition) as caught:
        transition(S.INACTIVE, A.SWITCH_USER)
    assert "INACTIVE" in caught.value.details
    assert "switch user" in caught.value.details


# ---------------------------------------------------------------- the Device object built on the table


def _device(**kw) -> Device:
    base = dict(merchant_id="m", id="d", name="Till", store_id="s", number=3,
                created_at="2026-01-01T00:00:00Z", updated_at="2026-01-01T00:00:00Z")
    return Device(**(base | kw))


def test_activate_binds_the_installation_and_clears_what_the_old_device_had_open():
    device = _device(status=S.INACTIVE, open_tickets=4, shift_open=True, open_shift_id="sh",
                     shift_opened_at="2026-01-01T00:00:00Z", last_receipt_number=9)
    after = device.activated("inst-1", "act-1", "hash", "emp", "2026-02-01T00:00:00Z")
    assert after.status == S.ACTIVATED
    assert (after.installation_id, after.activation_id, after.device_token_hash) == ("inst-1", "act-1", "hash")
    assert (after.current_employee_id, after.activated_at) == ("emp", "2026-02-01T00:00:00Z")
    assert (after.open_tickets, after.shift_open, after.open_shift_id, after.shift_opened_at) == (0, False, None, None)
    assert after.next_receipt_seq == 10  # numbering continues across activations
    assert device.status == S.INACTIVE  # the original is not mutated


def test_activating_an_activated_slot_is_slot_taken():
    device = _device(status=S.ACTIVATED, installation_id="a")
    with pytest.raises(IllegalTransition) as caught:
        device.activated("b", "act", "h", "e", "now")
    assert caught.value.code == "SLOT_TAKEN"


def test_deactivate_revokes_and_writes_off_unsynced_receipts():
    device = _device(status=S.ACTIVATED, installation_id="i", activation_id="a", device_token_hash="h",
                     current_employee_id="e", last_receipt_number=10, synced_receipts=6, lost_receipts=1,
                     written_off_upto=2, open_tickets=2, shift_open=True, open_shift_id="sh")
    assert device.unsynced_receipts == 3
    after, lost_now = device.deactivated("2026-02-01T00:00:00Z")
    assert lost_now == 3
    assert after.status == S.INACTIVE
    assert (after.installation_id, after.activation_id, after.device_token_hash, after.current_employee_id) == (
        None, None, None, None)
    assert (after.lost_receipts, after.written_off_upto, after.unsynced_receipts) == (4, 10, 0)
    assert after.deactivated_at == "2026-02-01T00:00:00Z"
    assert (after.open_tickets, after.shift_open, after.open_shift_id) == (0, False, None)


@pytest.mark.parametrize(("status", "code"), [(S.NOT_ACTIVATED, "NOT_ACTIVATED"), (S.INACTIVE, "ALREADY_INACTIVE")])
def test_deactivate_needs_an_activated_slot(status, code):
    with pytest.raises(IllegalTransition) as caught:
        _device(status=status).deactivated("now")
    assert caught.value.code == code


def test_delete_sets_deleted_at_and_then_everything_is_refused():
    deleted = _device(status=S.INACTIVE).deleted("2026-03-01T00:00:00Z")
    assert deleted.deleted_at == "2026-03-01T00:00:00Z"
    assert deleted.status == S.INACTIVE  # keeps its public status
    assert deleted.lifecycle_status == S.DELETED
    for action in Action:
        with pytest.raises(IllegalTransition) as caught:
            deleted.check(action)
        assert caught.value.code == "DEVICE_DELETED"


def test_an_activated_slot_cannot_be_deleted_before_it_is_deactivated():
    with pytest.raises(IllegalTransition) as caught:
        _device(status=S.ACTIVATED).deleted("now")
    assert caught.value.code == "STILL_ACTIVATED"


@pytest.mark.parametrize(("deletion", "deleting"), [
    (None, False),
    ({"status": "RUNNING"}, True),
    ({"status": "FAILED"}, False),
    ({"status": "SUCCEEDED"}, False),
])
def test_only_a_running_deletion_blocks(deletion, deleting):
    device = _device(status=S.INACTIVE, deletion=deletion)
    assert device.deleting is deleting
    if deleting:
        with pytest.raises(IllegalTransition) as caught:
            device.check(A.ACTIVATE)
        assert caught.value.code == "DELETION_IN_PROGRESS"
        assert device.check(A.DELETE) == S.DELETED
    else:
        assert device.check(A.ACTIVATE) == S.ACTIVATED


@pytest.mark.parametrize(("last", "synced", "lost", "expected"), [
    (0, 0, 0, 0), (5, 5, 0, 0), (5, 3, 0, 2), (5, 3, 2, 0), (5, 2, 1, 2), (3, 5, 0, 0),
])
def test_unsynced_count_never_negative(last, synced, lost, expected):
    assert unsynced_count(last, synced, lost) == expected


def test_while_deleting_the_pos_goes_on_and_only_a_new_binding_or_a_second_deletion_waits():
    """The rule of domain/devices.py's ALLOWED_WHILE_DELETING, on an activated slot being deleted: the POS keeps
    selling and syncing (the workflow waits for its late receipts), the owner may rename or deactivate it, the
    workflow deletes it once deactivated; activation, a move and a second deletion answer DELETION_IN_PROGRESS."""
    deleting = _device(status=S.ACTIVATED, installation_id="i", deletion={"status": "RUNNING"})
    for action in (A.SYNC, A.SWITCH_USER, A.RENAME):
        assert deleting.check(action) == S.ACTIVATED
    assert deleting.check(A.DEACTIVATE) == S.INACTIVE
    inactive, _lost = deleting.deactivated("now")
    assert inactive.check(A.DELETE) == S.DELETED
    for device in (deleting, inactive):
        for action in (A.ACTIVATE, A.MOVE_STORE, A.REQUEST_DELETION):
            with pytest.raises(IllegalTransition) as caught:
                device.check(action)
            assert caught.value.code == "DELETION_IN_PROGRESS", (device.status, action)


def test_the_table_in_docs_contract_is_the_codes():
    """docs/CONTRACT.md section 4 shows the table to readers: it must say what transition() does."""
    section = (Path(__file__).resolve().parents[2] / "docs" / "CONTRACT.md").read_text(encoding="utf-8")
    section = section.split("## 4. The device state machine", 1)[1].split("\n## ", 1)[0]
    rows = [[cell.strip() for cell in line.strip().strip("|").split("|")]
            for line in section.splitlines() if line.startswith("| ")]
    header, body = rows[0], rows[1:]
    statuses = [Status(name) for name in header[1:]]
    shown = {}
    for action_name, *cells in body:
        for status, cell in zip(statuses, cells):
            shown[(status, Action(action_name))] = Status(cell[2:]) if cell.startswith("→ ") else cell.split()[-1]
    assert shown == EXPECTED
