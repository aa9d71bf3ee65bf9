"""Every sentence the API can produce exists in English and Polish (docs/CONTRACT.md section 3, v1.1).

This is the merge guard for new errors: a DomainError raised in chalicelib/ with an English sentence
instead of a catalog key, or with a code/key that has no `en` and `pl` entry, fails here. To add an
error: raise it with `code=`/`key=` (and `params=`), then add the key to chalicelib/i18n/en.py and pl.py.
"""
import ast
import importlib
import pkgutil
import string
from pathlib import Path

import pytest

import chalicelib
from chalicelib import i18n
from chalicelib.domain.devices import Action, Status
from chalicelib.errors import DomainError
from chalicelib.i18n.en import MESSAGES as EN
from chalicelib.i18n.pl import MESSAGES as PL

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "chalicelib").rglob("*.py")) + [ROOT / "app.py"]


def _all_modules():
    for info in pkgutil.walk_packages(chalicelib.__path__, "chalicelib."):
        importlib.import_module(info.name)


def _error_classes() -> dict[str, type]:
    _all_modules()
    found, todo = {}, [DomainError]
    while todo:
        cls = todo.pop()
        found[cls.__name__] = cls
        todo.extend(cls.__subclasses__())
    return found


def _fields(template: str) -> set[str]:
    names = set()
    for _, name, spec, _ in string.Formatter().parse(template):
        if name:
            names.add(name)
        if spec and spec.startswith("if:"):
            names |= _fields(EN.get(spec[3:], ""))
    return names


def _literal(node):
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _calls(name_filter):
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
                if name and name_filter(name):
                    yield path.relative_to(ROOT), node, name


def test_english_and_polish_have_the_same_keys():
    assert sorted(set(EN) - set(PL)) == [], "keys with no Polish sentence"
    assert sorted(set(PL) - set(EN)) == [], "Polish keys with no English sentence"


@pytest.mark.parametrize("key", sorted(EN))
def test_polish_uses_only_parameters_the_english_has(key):
    assert _fields(PL[key]) <= _fields(EN[key]) | {"reason"}, key


def test_every_error_class_code_has_a_sentence():
    missing = [name for name, cls in _error_classes().items() if cls.code not in EN]
    assert missing == []


def test_errors_are_raised_with_catalog_keys_not_english_sentences():
    classes = _error_classes()
    problems = []
    # ValidationFailed carries per-field items that already hold their keys (api/http.py validation_failed).
    for path, call, name in _calls(lambda n: n in classes and n != "ValidationFailed"):
        keywords = {k.arg: k.value for k in call.keywords}
        where = f"{path}:{call.lineno} {name}"
        if call.args or "details" in keywords:
            # The reshaped Chalice error keeps Chalice's English only as a fallback when the code is unknown.
            if not (path.name == "http.py" and "key" in keywords):
                problems.append(f"{where}: pass code=/key= (+params=), not an English sentence")
            continue
        for arg in ("code", "key"):
            value = keywords.get(arg)
            # A key looked up in a `*_KEYS` table is fine: test_key_tables checks the tables.
            table = (isinstance(value, ast.Subscript) and getattr(value.value, "id", "").endswith("_KEYS")) or (
                isinstance(value, ast.Call) and getattr(value.func, "attr", "") == "get"
                and getattr(value.func.value, "id", "").endswith("_KEYS"))
            if value is not None and _literal(value) is None and arg == "key" and not table \
                    and not isinstance(value, ast.Name):  # a variable: its sources are checked below
                problems.append(f"{where}: {arg}= must be a literal (so this test can check it)")
        key = _literal(keywords.get("key")) or _literal(keywords.get("code"))
        if key is None and "key" not in keywords and "code" not in keywords:
            key = classes[name].code
        if key is not None and key not in EN:
            problems.append(f"{where}: no catalog entry {key!r}")
    assert not problems, "\n".join(problems)


def test_key_tables():
    from chalicelib.services import common

    from chalicelib.domain import devices

    assert [key for key in common.NOT_FOUND_KEYS.values() if key not in EN] == []
    assert [key for key in devices._ILLEGAL_KEYS.values() if key not in EN] == []
    assert [key for key in devices._ILLEGAL_CODES.values() if key not in EN] == []
    from chalicelib.api import http

    assert [key for key in http._PATH_NOT_FOUND_KEYS.values() if key not in EN] == []


def test_message_refs_and_role_actions_have_sentences():
    problems = []
    names = ("ref", "render", "require_role", "reserve_attempt")
    for path, call, name in _calls(lambda n: n in names):
        if name == "require_role":
            arg = _literal(call.args[2]) if len(call.args) > 2 else None
            key = f"action.{arg}" if arg else None
        elif name == "reserve_attempt":  # (key, message key of the 429)
            key = _literal(call.args[1]) if len(call.args) > 1 else None
        else:
            key = _literal(call.args[0]) if call.args else None
        if key is not None and key not in EN:
            problems.append(f"{path}:{call.lineno}: no catalog entry {key!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("status", list(Status))
def test_every_status_has_a_word(status):
    assert f"status.{status.value}" in EN


@pytest.mark.parametrize("action", list(Action))
def test_every_action_has_a_word(action):
    assert f"action.{action.value}" in EN


def test_deletion_error_codes_have_sentences():
    from chalicelib.services import deletion

    for cls in deletion.DeletionBlocked.__subclasses__():
        assert f"deletion.error.{cls.code}" in EN


def test_every_finding_type_has_a_sentence():
    from chalicelib.domain import audit

    for type_ in (audit.UNSYNCED_RECEIPTS, audit.DEVICE_SILENT, audit.SHIFT_OPEN_TOO_LONG, audit.SHIFT_LEFT_OPEN):
        assert f"finding.{type_}" in EN


@pytest.mark.parametrize("n, word", [(0, "paragonów"), (1, "paragon"), (2, "paragony"), (4, "paragony"),
                                     (5, "paragonów"), (12, "paragonów"), (14, "paragonów"), (22, "paragony"),
                                     (25, "paragonów"), (112, "paragonów"), (1001, "paragonów")])
def test_polish_plural_forms(n, word):
    assert i18n.plural_form("pl", n, ["paragon", "paragony", "paragonów"]) == word


@pytest.mark.parametrize("header, language", [
    (None, "en"), ("", "en"), ("pl", "pl"), ("pl-PL,pl;q=0.9,en-US;q=0.8,en;q=0.7", "pl"),
    ("en-GB,en;q=0.9,pl;q=0.8", "en"), ("en;q=0.5, pl;q=0.6", "pl"), ("pl;q=0, en", "en"), ("de, fr", "en"),
    ("de, pl;q=0.3", "pl"), ("*", "en"), ("pl;q=abc", "en"), ("PL", "pl"), ("pl;q=2", "en"),
])
def test_accept_language(header, language):
    assert i18n.parse_accept_language(header) == language


def test_a_stored_sentence_without_a_key_is_shown_as_it_was():
    assert i18n.text_of({"details": "Old English sentence."}, "pl") == "Old English sentence."
    assert i18n.text_of({"key": "deletion.step.deleted", "params": {}}, "pl") == "Usunięto."


def _event_types_written() -> set[str]:
    """Event types the code writes: string literals passed to new_event / change_device (their 3rd/4th arg)."""
    types = set()
    for _path, call, name in _calls(lambda n: n in ("new_event", "change_device", "_save_employee")):
        for arg in call.args:
            value = _literal(arg)
            if value and "." in value and value.split(".")[0] in ("merchant", "store", "employee", "pos_device"):
                types.add(value)
    return types


def test_every_event_type_written_has_a_sentence():
    types = _event_types_written()
    assert "pos_device.created" in types
    assert "pos_device.deleted" in types  # the scan finds them
    # A type may have variants (event.<type>.<variant>, chosen in api/event_text.py).
    missing = [t for t in sorted(types) if f"event.{t}" not in EN and not any(k.startswith(f"event.{t}.") for k in EN)]
    assert missing == []


def test_final_sync_reasons_and_system_actors_have_sentences():
    from chalicelib.domain import final_sync
    from chalicelib.services.common import SYSTEM_SAFE_DELETION
    from chalicelib.services.slot_writes import SYSTEM_FINAL_SYNC

    reasons = [final_sync.EXPIRED, final_sync.SYNCED, final_sync.ENDED, final_sync.DEACTIVATED, final_sync.DELETED]
    assert [r for r in reasons if f"event.final_sync.reason.{r}" not in EN] == []
    assert SYSTEM_SAFE_DELETION["id"] != SYSTEM_FINAL_SYNC["id"]
    assert f"event.actor.system.{SYSTEM_FINAL_SYNC['id']}" in EN


def test_message_dicts_name_catalog_keys():
    """A message stored or answered as a dict literal {"key": "...", ...} (e.g. rejected shifts) names a catalog key."""
    problems = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                for k, v in zip(node.keys, node.values):
                    key = _literal(v) if isinstance(k, ast.Constant) and k.value == "key" else None
                    if key is not None and key not in EN:
                        problems.append(f"{path.relative_to(ROOT)}:{node.lineno}: no catalog entry {key!r}")
    assert not problems, "\n".join(problems)


def test_csv_columns_have_names():
    from chalicelib.api.presenters import RECEIPT_CSV_HEADER

    assert [c for c in RECEIPT_CSV_HEADER if f"csv.{c}" not in EN] == []


def test_sync_rejections_use_catalog_keys():
    """SyncResult.reject(id, code, params=..., key=...): the code (or key) has a sentence; no English details."""
    problems = []
    for path, call, _name in _calls(lambda n: n == "reject"):
        if not isinstance(call.func, ast.Attribute):
            continue
        keywords = {k.arg: k.value for k in call.keywords}
        if len(call.args) > 2 or "details" in keywords:
            problems.append(f"{path}:{call.lineno}: pass params=/key=, not an English sentence")
        key = _literal(keywords.get("key")) or (_literal(call.args[1]) if len(call.args) > 1 else None)
        if key is not None and key not in EN:
            problems.append(f"{path}:{call.lineno}: no catalog entry {key!r}")
    assert not problems, "\n".join(problems)
