"""POS device lifecycle: statuses, actions and the one table of legal transitions."""
import hashlib
import unicodedata
from dataclasses import dataclass, replace
from enum import Enum

from chalicelib.domain.deletion import DeletionStatus
from chalicelib.errors import Conflict, IllegalTransition
from chalicelib.i18n import ref


class Status(str, Enum):
    NOT_ACTIVATED = "NOT_ACTIVATED"
    ACTIVATED = "ACTIVATED"
    INACTIVE = "INACTIVE"
    # Not a public status: a deleted slot keeps the status it had and shows `deleted_at`.
    DELETED = "DELETED"


class Action(str, Enum):
    RENAME = "RENAME"
    ACTIVATE = "ACTIVATE"
    SWITCH_USER = "SWITCH_USER"
    SYNC = "SYNC"
    DEACTIVATE = "DEACTIVATE"
    REQUEST_DELETION = "REQUEST_DELETION"
    DELETE = "DELETE"
    MOVE_STORE = "MOVE_STORE"


S, A = Status, Action

# (status, action) -> status after the action. Anything missing is illegal.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.NOT_ACTIVATED, A.RENAME): S.NOT_ACTIVATED,
    (S.NOT_ACTIVATED, A.ACTIVATE): S.ACTIVATED,
    (S.NOT_ACTIVATED, A.REQUEST_DELETION): S.NOT_ACTIVATED,
    (S.NOT_ACTIVATED, A.DELETE): S.DELETED,
    (S.ACTIVATED, A.RENAME): S.ACTIVATED,
    (S.ACTIVATED, A.SWITCH_USER): S.ACTIVATED,
    (S.ACTIVATED, A.SYNC): S.ACTIVATED,
    (S.ACTIVATED, A.DEACTIVATE): S.INACTIVE,
    (S.ACTIVATED, A.REQUEST_DELETION): S.ACTIVATED,
    (S.INACTIVE, A.RENAME): S.INACTIVE,
    (S.INACTIVE, A.ACTIVATE): S.ACTIVATED,
    (S.INACTIVE, A.REQUEST_DELETION): S.INACTIVE,
    (S.INACTIVE, A.DELETE): S.DELETED,
    # A POS moves to another store only while no app is bound to it.
    (S.NOT_ACTIVATED, A.MOVE_STORE): S.NOT_ACTIVATED,
    (S.INACTIVE, A.MOVE_STORE): S.INACTIVE,
}

# While a deletion runs, the slot may not be activated, moved to another store or get a second deletion.
# Everything else goes on: the POS keeps selling, switching users and syncing (the workflow waits for its
# late receipts), the owner may rename or deactivate it, and the workflow deactivates and deletes it.
ALLOWED_WHILE_DELETING = {A.RENAME, A.SYNC, A.SWITCH_USER, A.DEACTIVATE, A.DELETE}

# The error code of an illegal (status, action); its sentence is the code's entry in the message catalog.
_ILLEGAL_CODES = {
    (S.ACTIVATED, A.ACTIVATE): "SLOT_TAKEN",
    (S.NOT_ACTIVATED, A.DEACTIVATE): "NOT_ACTIVATED",
    (S.INACTIVE, A.DEACTIVATE): "ALREADY_INACTIVE",
    (S.ACTIVATED, A.DELETE): "STILL_ACTIVATED",
    (S.ACTIVATED, A.MOVE_STORE): "STILL_ACTIVATED",
}
_ILLEGAL_KEYS = {(S.ACTIVATED, A.MOVE_STORE): "STILL_ACTIVATED.move"}

MAX_NAME_LENGTH = 100


# Cyrillic and Greek letters drawn like a Latin one, as that Latin letter (before case folding: "В" is drawn like
# "B", "в" like nothing Latin). After Unicode's confusables (UTS #39) for the two scripts that share Latin's
# shapes, kept to the letters that are the same glyph in common fonts. Tested by tests/unit/test_name_key.py.
_LATIN_LOOK_ALIKES = str.maketrans({
    # Cyrillic capitals
    "А": "A", "В": "B", "Е": "E", "Ѕ": "S", "І": "I", "Ј": "J", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ү": "Y", "Һ": "H", "Ӏ": "I", "Ԛ": "Q", "Ԝ": "W", "Ԁ": "D",
    # Cyrillic small letters
    "а": "a", "е": "e", "ѕ": "s", "і": "i", "ј": "j", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x",
    "һ": "h", "ӏ": "l", "ԁ": "d", "ԛ": "q", "ԝ": "w", "ү": "y",
    # Greek capitals
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
    "Τ": "T", "Υ": "Y", "Χ": "X", "Ϲ": "C", "Ϳ": "J",
    # Greek small letters
    "α": "a", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "υ": "u", "χ": "x", "ϲ": "c", "ϳ": "j",
})
def store_name_guard(merchant_id: str, name: str) -> str:
    """The uniqueness claim of a store's name within its merchant (the same folding as POS names); a key that
    would pass DynamoDB's 1,024 bytes holds the SHA-256 of the name's key instead."""
    key = f"storename#{merchant_id}#{name_key(name)}"
    if len(key.encode("utf-8", "surrogatepass")) > 1000:
        key = f"storename-sha256#{merchant_id}#{hashlib.sha256(name_key(name).encode('utf-8', 'surrogatepass')).hexdigest()}"
    return key


def store_name_taken(name: str) -> Conflict:
    return Conflict(field="name", code="NAME_TAKEN", key="NAME_TAKEN.store", params={"name": name})


def name_key(name: str) -> str:
    """What makes two POS names the same within a store: case, width, spacing, invisible characters and letters of
    another script drawn alike do not count. NFKC folds compatibility look-alikes (full-width "Ｔｉｌｌ", ligatures,
    "①", no-break spaces); Unicode format characters (zero-width spaces and joiners, bidirectional marks and
    overrides, the BOM, soft hyphens) and variation selectors are dropped, so "Till\u200b 1" or "\u202eTill 1" is
    taken beside "Till 1"; Cyrillic and Greek letters drawn like Latin ones are read as those (_LATIN_LOOK_ALIKES),
    so "Тill 1" with a Cyrillic "Т" is taken too (issue 22.15).

    Changing this changes the keys of the name guards: a POS stored before keeps its guard under the key of its
    time until it is renamed, moved or deleted (its old guard is then left behind, unused)."""
    folded = unicodedata.normalize("NFKC", name)
    visible = "".join(ch for ch in folded if unicodedata.category(ch) != "Cf" and not _is_variation_selector(ch))
    latin = unicodedata.normalize("NFKC", visible).translate(_LATIN_LOOK_ALIKES)
    return " ".join(latin.casefold().split())


def _is_variation_selector(ch: str) -> bool:
    return "\ufe00" <= ch <= "\ufe0f" or "\U000e0100" <= ch <= "\U000e01ef"


def transition(status: Status, action: Action, deleting: bool = False) -> Status:
    """The status after `action`, or IllegalTransition (409) with a code that says why not."""
    if status == S.DELETED:
        raise IllegalTransition(code="DEVICE_DELETED", key="ILLEGAL_TRANSITION.DEVICE_DELETED")
    if deleting and action not in ALLOWED_WHILE_DELETING:
        raise IllegalTransition(code="DELETION_IN_PROGRESS")
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        code = _ILLEGAL_CODES.get((status, action))
        if code:
            raise IllegalTransition(code=code, key=_ILLEGAL_KEYS.get((status, action))) from None
        raise IllegalTransition(params={"status": ref(f"status.{status.value}"),
                                        "action": ref(f"action.{action.value}")}) from None


@dataclass
class Device:
    merchant_id: str
    id: str
    name: str
    store_id: str
    number: int
    status: Status = S.NOT_ACTIVATED
    version: int = 0
    installation_id: str | None = None
    activation_id: str | None = None
    device_token_hash: str | None = None
    activated_at: str | None = None
    deactivated_at: str | None = None
    current_employee_id: str | None = None
    last_sync_at: str | None = None
    last_receipt_number: int = 0
    # The highest seq of this slot the server holds from a sync (never goes down): raised in the same transaction
    # that stores the receipts, so no racing write can leave it behind (the numbering invariant, DESIGN 3.1).
    stored_seq_high: int = 0
    synced_receipts: int = 0
    lost_receipts: int = 0
    # Receipts numbered up to here that were never synced are written off (lost at a deactivation).
    written_off_upto: int = 0
    # Every receipt numbered up to here was on the server when the slot last said so (unsynced was 0):
    # the audit looks for missing numbers only above it.
    complete_upto: int = 0
    shift_open: bool = False
    open_shift_id: str | None = None
    shift_opened_at: str | None = None
    open_tickets: int = 0
    # First seq of the latest activation (0: activated before v1.1, when it was always written_off_upto + 1).
    first_seq: int = 0
    # Numbers never issued: the unused rest of a final-sync reservation (see domain/final_sync.py).
    skipped_receipts: int = 0
    # Pairing code (only its hash is stored) and the open final-sync window of the previous installation.
    pairing_code_hash: str | None = None
    pairing_code_expires_at: str | None = None
    final_sync_until: str | None = None
    final_sync_activation_id: str | None = None
    final_sync_installation_id: str | None = None
    final_sync_last_seq: int = 0
    final_sync_upto: int = 0
    final_sync_held: int = 0
    final_sync_received: int = 0
    # The old installation as it was when its window opened: its receipts and shifts keep its store and cashier
    # (the slot may be moved or re-activated meanwhile), and its `me` shows its own activation.
    final_sync_store_id: str | None = None
    final_sync_employee_id: str | None = None
    final_sync_activated_at: str | None = None
    deletion: dict | None = None
    created_at: str = ""
    updated_at: str = ""
    deleted_at: str | None = None

    @property
    def lifecycle_status(self) -> Status:
        return S.DELETED if self.deleted_at else self.status

    @property
    def deleting(self) -> bool:
        return bool(self.deletion and self.deletion.get("status") == DeletionStatus.RUNNING.value)

    @property
    def final_sync_open(self) -> bool:
        return bool(self.final_sync_activation_id)

    @property
    def final_sync_owed(self) -> int:
        """Receipts the old installation reported in its window and the server does not hold yet."""
        if not self.final_sync_open:
            return 0
        return max(0, self.final_sync_last_seq - self.written_off_upto - self.final_sync_held)

    @property
    def numbering_top(self) -> int:
        """The highest seq taken: reported, stored, reserved for an open final sync, or skipped by this activation."""
        return max(self.last_receipt_number, self.stored_seq_high, self.first_seq - 1,
                   self.final_sync_upto if self.final_sync_open else 0)

    @property
    def unsynced_receipts(self) -> int:
        # Numbers reserved for an open final sync but not (yet) reported by the old installation are not owed.
        pending = self.final_sync_upto - self.final_sync_last_seq if self.final_sync_open else 0
        return unsynced_count(self.numbering_top, self.synced_receipts,
                              self.lost_receipts + self.skipped_receipts + pending)

    def check(self, action: Action) -> Status:
        return transition(self.lifecycle_status, action, self.deleting)

    def activated(self, installation_id: str, activation_id: str, token_hash: str, employee_id: str,
                  now: str) -> "Device":
        self.check(A.ACTIVATE)
        return replace(
            self, status=S.ACTIVATED, installation_id=installation_id, activation_id=activation_id,
            device_token_hash=token_hash,
            activated_at=now, current_employee_id=employee_id, updated_at=now,
            first_seq=self.next_receipt_seq, pairing_code_hash=None, pairing_code_expires_at=None,
            # A new device starts with nothing open: the old device's tickets and shift are gone with it.
            open_tickets=0, shift_open=False, open_shift_id=None, shift_opened_at=None,
        )

    def deactivated(self, now: str) -> tuple["Device", int]:
        """The inactive slot and how many receipts this deactivation writes off as lost."""
        self.check(A.DEACTIVATE)
        lost_now = self.unsynced_receipts
        return (
            replace(
                self, status=S.INACTIVE, installation_id=None, activation_id=None, device_token_hash=None,
                current_employee_id=None,
                deactivated_at=now, updated_at=now, lost_receipts=self.lost_receipts + lost_now,
                written_off_upto=self.numbering_top, open_tickets=0, shift_open=False,
                open_shift_id=None, shift_opened_at=None,
            ),
            lost_now,
        )

    def deleted(self, now: str) -> "Device":
        self.check(A.DELETE)
        return replace(self, deleted_at=now, updated_at=now)

    def reported(self, state: dict, now: str) -> tuple["Device", dict]:
        """The slot after the device's own state report, and the fields the report changed (beside last_sync_at,
        updated_at and version): last_receipt_number never goes down, and with nothing owed the slot is complete
        up to it."""
        changes = {name: state[name] for name in ("open_tickets", "shift_open", "open_shift_id", "shift_opened_at")
                   if name in state}
        if state.get("last_receipt_number") is not None:
            changes["last_receipt_number"] = max(self.last_receipt_number, state["last_receipt_number"])
        after = replace(self, last_sync_at=now, updated_at=now, version=self.version + 1, **changes)
        if after.unsynced_receipts == 0 and after.complete_upto < after.last_receipt_number:
            changes["complete_upto"] = after.last_receipt_number
            after = replace(after, complete_upto=after.last_receipt_number)
        return after, changes

    @property
    def next_receipt_seq(self) -> int:
        return self.numbering_top + 1


def unsynced_count(last_receipt_number: int, synced: int, lost: int) -> int:
    return max(0, last_receipt_number - synced - lost)

