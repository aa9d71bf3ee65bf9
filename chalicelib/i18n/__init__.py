"""Message catalog: every human sentence the API returns, in English and Polish (docs/CONTRACT.md section 3, v1.1).

Stored records and errors keep a message key and parameters; they become a sentence in the caller's
language only when a response is written. Templates use `str.format` named fields; a field may pick a
plural form with `{n:plural:one|few|many}` (Polish) or `{n:plural:one|other}` (English), a field
`{n:if:other.key}` adds the message `other.key` (same parameters) only when n is not 0, `{n:num}` groups
thousands as the language does, `{t:time}` shows an ISO time as "2026-11-24 08:00 UTC", and a
parameter that is itself a message (`ref("action.manage stores")`) is rendered in the same language.
"""
import contextvars
import re
import string

from chalicelib.i18n.en import MESSAGES as EN
from chalicelib.i18n.pl import MESSAGES as PL

DEFAULT = "en"
CATALOGS = {"en": EN, "pl": PL}
LANGUAGES = tuple(CATALOGS)

_language: contextvars.ContextVar[str] = contextvars.ContextVar("language", default=DEFAULT)
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$|^\*$")


def parse_accept_language(header: str | None) -> str:
    """The best supported language of an Accept-Language header (RFC 9110 q-values); `en` by default."""
    best, best_q, best_pos = DEFAULT, 0.0, 0
    for pos, part in enumerate((header or "")[:500].split(",")):
        tag, *options = [piece.strip() for piece in part.split(";")]
        if not tag or not _TAG.match(tag):
            continue
        q = 1.0
        for option in options:
            name, _, value = option.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
                if not 0.0 <= q <= 1.0:
                    q = 0.0
        primary = tag.split("-")[0].lower()
        code = DEFAULT if primary == "*" else primary
        if code in CATALOGS and q > 0 and (q > best_q or (q == best_q and pos < best_pos)):
            best, best_q, best_pos = code, q, pos
    return best


def current() -> str:
    return _language.get()


def use(language: str):
    """Set the language of the current request; returns a token for `reset`."""
    return _language.set(language if language in CATALOGS else DEFAULT)


def reset(token) -> None:
    _language.reset(token)


def has(key: str) -> bool:
    return key in EN


def ref(key: str, **params) -> dict:
    """A message as data (JSON-safe): what records store instead of a sentence."""
    return {"key": key, "params": params}


def plural_form(language: str, n: int, forms: list[str]) -> str:
    n = abs(int(n))
    if language == "pl":
        if n == 1:
            index = 0
        elif n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
            index = 1
        else:
            index = 2
    else:
        index = 0 if n == 1 else 1
    return forms[min(index, len(forms) - 1)]


class _Formatter(string.Formatter):
    def __init__(self, language: str):
        self.language = language

    def vformat(self, format_string, args, kwargs):
        self.params = kwargs
        return super().vformat(format_string, args, kwargs)

    def format_field(self, value, format_spec):
        if format_spec.startswith("if:"):
            return render(format_spec[3:], self.params, self.language) if value else ""
        if format_spec == "time" and isinstance(value, str):  # ISO 8601 UTC -> "2026-11-24 08:00 UTC"
            return value[:16].replace("T", " ") + " UTC" if len(value) >= 16 else value
        if format_spec == "num" and isinstance(value, int):  # 100000 -> "100,000" (en), "100 000" (pl)
            return f"{value:,}".replace(",", "\u00a0" if self.language == "pl" else ",")
        if format_spec.startswith("plural:"):
            return plural_form(self.language, value, format_spec[len("plural:"):].split("|"))
        return super().format_field(value, format_spec)

    def get_value(self, key, args, kwargs):
        value = kwargs[key]
        if isinstance(value, dict) and "key" in value:
            return render(value["key"], value.get("params") or {}, self.language, fallback=value.get("details"))
        return value


def render(key: str | None, params: dict | None = None, language: str | None = None,
           fallback: str | None = None) -> str:
    """The sentence for `key` in `language` (the request's by default), falling back to English, then `fallback`."""
    language = language or current()
    template = CATALOGS.get(language, EN).get(key) if key else None
    if template is None:
        template = EN.get(key) if key else None
    if template is None:
        return fallback if fallback is not None else (key or "")
    try:
        return _Formatter(language).format(template, **(params or {}))
    except (KeyError, IndexError, ValueError):
        return fallback if fallback is not None else template


def text_of(record: dict | None, language: str | None = None) -> str | None:
    """A stored message: `{"key", "params"}` is rendered; an old record's plain sentence is shown as it was."""
    if not record:
        return None
    if record.get("key"):
        return render(record["key"], record.get("params") or {}, language, fallback=record.get("details"))
    return record.get("details")
