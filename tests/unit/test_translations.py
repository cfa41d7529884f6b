"""Every user-facing string in the code is in the catalogue, and Bahasa Indonesia translates all of it."""
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalogue(language):
    with open(ROOT / "app" / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle)


def source_messages():
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "app", method_map=method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def forms(value):
    """The text forms of an entry: one string, or singular and plural (ngettext) as a tuple."""
    return value if isinstance(value, tuple) else (value,)


def test_every_source_string_is_in_the_catalogues():
    in_source = source_messages()
    for language in ("id", "en"):
        known = {forms(message.id)[0] for message in catalogue(language) if message.id}
        missing = sorted(in_source - known)
        assert not missing, f"run pybabel extract/update; {language} lacks: {missing[:10]}"


def test_indonesian_is_complete_and_keeps_placeholders():
    for message in catalogue("id"):
        if not message.id:
            continue
        assert all(forms(message.string)), f"untranslated: {message.id!r}"
        assert not message.fuzzy, f"fuzzy: {message.id!r}"
        expected = set(PLACEHOLDER.findall(forms(message.id)[0]))
        for text in forms(message.string):
            assert set(PLACEHOLDER.findall(text)) == expected, message.id


@pytest.mark.parametrize("language", ["id", "en"])
def test_catalogue_has_no_obsolete_entries(language):
    assert not catalogue(language).obsolete
