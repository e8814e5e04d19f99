"""BIN/IIN check digit (rule in shared/KZ-FACTS.md)."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from allocations.accounts.identifiers import is_valid_bin, validate_bin

VALID = [
    "940140000385",
    "950341000052",
    "961141000023",
    "070941024691",
    "990140004654",
    "791028302728",
    "061211600012",
]


def reference_is_valid(value: str) -> bool:
    """An independent re-implementation of the published rule, written from the text."""
    if len(value) != 12 or any(c not in "0123456789" for c in value):
        return False
    digits = [ord(c) - ord("0") for c in value]
    first = sum(digits[i] * (i + 1) for i in range(11)) % 11
    if first == 10:
        second_weights = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2]
        first = sum(digits[i] * second_weights[i] for i in range(11)) % 11
        if first == 10:
            return False
    return first == digits[11]


@pytest.mark.parametrize("value", VALID)
def test_published_examples_are_valid(value):
    assert is_valid_bin(value)
    validate_bin(value)  # does not raise


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("940140000386", "bin_checksum"),  # wrong check digit
        ("94014000038", "bin_format"),  # 11 digits
        ("9401400003850", "bin_format"),  # 13 digits
        ("94014000038A", "bin_format"),  # a letter
        ("ABCDEFGHIJKL", "bin_format"),
        ("９４０１４００００３８５", "bin_checksum"),  # full-width digits are not ASCII digits
    ],
)
def test_invalid_values_are_refused(value, code):
    assert not is_valid_bin(value)
    with pytest.raises(ValidationError) as caught:
        validate_bin(value)
    assert caught.value.code in {code, "bin_format", "bin_checksum"}


def test_empty_value_is_left_to_the_required_check():
    validate_bin("")
    validate_bin(None)


@given(st.sampled_from(VALID), st.integers(min_value=1, max_value=9))
def test_changing_only_the_check_digit_always_invalidates(value, shift):
    changed = value[:11] + str((int(value[11]) + shift) % 10)
    assert not is_valid_bin(changed)


@given(st.sampled_from(VALID), st.integers(min_value=0, max_value=11), st.integers(1, 9))
def test_flipping_one_digit_agrees_with_the_reference(value, position, shift):
    flipped_digit = str((int(value[position]) + shift) % 10)
    changed = value[:position] + flipped_digit + value[position + 1 :]
    assert is_valid_bin(changed) == reference_is_valid(changed)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12))
def test_any_twelve_digits_agree_with_the_reference(value):
    assert is_valid_bin(value) == reference_is_valid(value)


@given(st.text(max_size=14))
def test_arbitrary_text_never_crashes(value):
    assert is_valid_bin(value) == reference_is_valid(value)
