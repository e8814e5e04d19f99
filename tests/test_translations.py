"""Every Kazakh and Russian catalogue is complete, not fuzzy, and compiled."""

from pathlib import Path

import polib
import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = [
    ROOT / "locale" / "kk" / "LC_MESSAGES" / "django.po",
    ROOT / "locale" / "ru" / "LC_MESSAGES" / "django.po",
    ROOT / "locale" / "vendor" / "kk" / "LC_MESSAGES" / "django.po",
]


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_catalogue_is_complete(path):
    catalogue = polib.pofile(str(path))
    missing = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not missing, f"{len(missing)} untranslated, e.g. {missing[:5]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy, e.g. {fuzzy[:5]}"


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalogue_matches_source(path):
    compiled = path.with_suffix(".mo")
    assert compiled.exists(), f"run `make messages` to compile {compiled}"
    source = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0)
        for e in polib.pofile(str(path)).translated_entries()
    }
    binary = {
        (e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural.get(0)
        for e in polib.mofile(str(compiled))
    }
    binary.pop((None, ""), None)
    assert source == binary, "the .mo file is stale: run `make messages`"


@pytest.mark.parametrize(
    ("language", "msgid", "expected_not"),
    [
        ("kk", "Sign In", "Sign In"),
        ("ru", "Sign In", "Sign In"),
        ("kk", "Open calls", "Open calls"),
    ],
)
def test_interface_strings_are_translated_at_runtime(language, msgid, expected_not):
    with translation.override(language):
        assert translation.gettext(msgid) != expected_not
