"""Issue 22.15 (remainder): POS names that only look alike are one name (domain.devices.name_key)."""
import pytest

from chalicelib.domain.devices import _LATIN_LOOK_ALIKES, name_key


@pytest.mark.parametrize("spoof", [
    "\u0422ill 1",          # Cyrillic capital Te
    "T\u0456ll 1",          # Cyrillic (Ukrainian) small i
    "Ti\u04cf\u04cf 1",     # Cyrillic palochka as l
    "\u03a4ill 1",          # Greek capital Tau
    "T\u03b9ll 1",          # Greek small iota
    "\u0422\u0406LL 1",     # capitals: Cyrillic Te and I
    "\u03a4\u0399\u004c\u004c\u00a01",  # Greek Tau and Iota, a no-break space
])
def test_cyrillic_and_greek_look_alikes_read_as_latin(spoof):
    assert name_key(spoof) == name_key("Till 1") == "till 1"


def test_whole_words_in_another_script_fold_too_and_different_names_stay_different():
    assert name_key("\u041a\u0430\u0441\u0441\u0430 1") == name_key("Ka\u0441\u0441a 1") == "kacca 1"  # Касса / Kaсcа
    assert name_key("\u041a\u0430\u0441\u0441\u0430 1") != name_key("\u041a\u0430\u0441\u0441\u0430 2")
    assert name_key("\u0411\u0430\u0440") != name_key("Bap")  # Б is drawn like no Latin letter: Бар stays itself
    assert name_key("Kasa 1") != name_key("Kacca 1")
    assert name_key("\u0417\u0430\u043b") == "\u0437a\u043b"  # Зал: only а has a Latin twin


def test_the_table_maps_only_letters_to_single_latin_letters():
    import unicodedata

    for code, latin in _LATIN_LOOK_ALIKES.items():
        name = unicodedata.name(chr(code))
        assert name.startswith(("CYRILLIC", "GREEK")), name
        assert len(latin) == 1 and latin.isascii() and latin.isalpha(), (name, latin)
        # A capital maps to a capital, a small letter to a small one.
        assert chr(code).isupper() == latin.isupper(), name
