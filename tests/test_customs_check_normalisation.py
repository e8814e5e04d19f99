"""The helpers of the import case checks: HS codes and serial numbers normalised and
formatted, and the goods index, where the longest prefix of the list wins."""

import pytest

from allocations.customs.checks import (
    GoodsIndex,
    format_hs_code,
    normalise_hs_code,
    normalise_serial,
)
from allocations.customs.models import RegimeGoodsItem

# --- Helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("8471 50 000 0", "8471500000"),
        ("8471.50.000.0", "8471500000"),
        (" 8471500000 ", "8471500000"),
        ("8471\u00a050\u00a0000\u00a00", "8471500000"),
        ("8471-50", "847150"),
        ("", ""),
        ("84x1", "84x1"),
    ],
)
def test_normalise_hs_code(raw, expected):
    assert normalise_hs_code(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  abc123 ", "ABC123"),
        ("sn  12\t 34", "SN 12 34"),
        ("x\ny", "X Y"),
        ("", ""),
    ],
)
def test_normalise_serial(raw, expected):
    assert normalise_serial(raw) == expected


def test_format_hs_code():
    assert format_hs_code("8471500000") == "8471 50 000 0"
    assert format_hs_code("847330") == "8473 30"
    assert format_hs_code("8544") == "8544"


def test_the_longest_prefix_of_the_goods_list_wins():
    index = GoodsIndex(
        [
            RegimeGoodsItem(hs_prefix="84", item_number="A"),
            RegimeGoodsItem(hs_prefix="8471", item_number="B"),
            RegimeGoodsItem(hs_prefix="847150", item_number="C"),
        ]
    )
    assert index.match("8471500000").item_number == "C"
    assert index.match("8471700000").item_number == "B"
    assert index.match("8415100000").item_number == "A"
    assert index.match("9403200000") is None
    assert not GoodsIndex([])
