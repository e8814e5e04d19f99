"""The goods list of a regime on the import desk's pages: a pasted list adds, updates or
replaces items (a bad line keeps nothing and is named, many bad lines are summarised),
and deleting an item, never one of another regime."""

import pytest
from django.urls import reverse

from allocations.core.models import AuditEvent
from allocations.customs.models import RegimeGoodsItem
from tests.factories_customs_regimes import regimes_world  # noqa: F401  (fixture `world`)

# --- Goods lists ---------------------------------------------------------------------------


def test_paste_adds_and_updates_items(client, import_desk, world):
    regime = world["regime"]
    client.force_login(import_desk)
    text = "# prefix;item;description\n8471 50;1a;GPU servers (HGX)\n\n8542.31;12;GPU chips\n"
    text += "9403 20\t7\tRacks, from a spreadsheet\n"
    response = client.post(reverse("customs:regime_goods", args=[regime.pk]), {"lines": text})
    assert response.status_code == 302
    items = {i.hs_prefix: (i.item_number, i.description) for i in regime.goods.all()}
    assert items["847150"] == ("1a", "GPU servers (HGX)")
    assert items["854231"] == ("12", "GPU chips")
    assert items["940320"] == ("7", "Racks, from a spreadsheet")
    assert len(items) == 11  # ten standard items and one new
    event = AuditEvent.objects.get(verb="customs.regime_goods_saved")
    assert event.data["added"] == ["854231"]
    assert sorted(event.data["updated"]) == ["847150", "940320"]
    page = client.get(response["Location"]).content.decode()
    assert "1 added, 2 changed, 0 removed" in page
    assert "contested heading" in page  # 8542 31 and 8473 30 are marked


def test_paste_can_replace_the_whole_list(client, import_desk, world):
    regime = world["regime"]
    client.force_login(import_desk)
    client.post(
        reverse("customs:regime_goods", args=[regime.pk]),
        {"lines": "8471 50;1;Servers\n8473 30;2;GPU boards", "replace": "on"},
    )
    assert sorted(regime.goods.values_list("hs_prefix", flat=True)) == ["847150", "847330"]
    event = AuditEvent.objects.get(verb="customs.regime_goods_saved")
    assert len(event.data["removed"]) == 8


@pytest.mark.parametrize(
    ("text", "messages"),
    [
        (
            "8471 50;1;Servers\n8473 30;2;GPU boards\n84x1;3;Bad\n8517 62;4;Switches",
            ["Line 3: the HS code prefix “84x1” must have 2 to 10 digits."],
        ),
        ("8471 50;1;Servers\n8;2;Too short", ["Line 2: the HS code prefix “8”"]),
        ("8471 50;1;Servers\n84715000000;2;Too long", ["Line 2:"]),
        ("8471 50 Servers", ["Line 1: give three parts separated by semicolons"]),
        ("8471 50;;Servers", ["Line 1: the list item no. is missing."]),
        ("8471 50;1;", ["Line 1: the description is missing."]),
        ("8471 50;1;" + "x" * 256, ["Line 1: the description is at most 255 characters long."]),
        ("8471 50;123456789012345678901;Servers", ["Line 1: the list item no. is at most 20"]),
        (
            "8471 50;1;Servers\n\n8471.50;2;Servers again",
            ["Line 3: the prefix 8471 50 is already on line 1."],
        ),
        (
            "a;1;x\nb;;\n8471 50;1;ok",
            ["Line 1:", "Line 2: the HS code prefix “b” must have 2 to 10 digits; the list item"],
        ),
        ("   \n# only a comment\n", ["Paste at least one line"]),
        ("", ["This field is required."]),
    ],
)
def test_a_bad_pasted_line_keeps_nothing_and_is_named(client, import_desk, world, text, messages):
    regime = world["regime"]
    before = sorted(regime.goods.values_list("hs_prefix", "item_number", "description"))
    client.force_login(import_desk)
    response = client.post(reverse("customs:regime_goods", args=[regime.pk]), {"lines": text})
    assert response.status_code == 400
    page = response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')
    for message in messages:
        assert message in page
    after = sorted(regime.goods.values_list("hs_prefix", "item_number", "description"))
    assert after == before
    assert not AuditEvent.objects.exists()
    assert "Save the goods list" in page  # the page, with the text kept for correction
    if text.strip():
        assert text.strip().splitlines()[0] in page


def test_many_bad_lines_are_summarised(client, import_desk, world):
    client.force_login(import_desk)
    text = "\n".join(f"bad{n};1;x" for n in range(40))
    page = client.post(
        reverse("customs:regime_goods", args=[world["regime"].pk]), {"lines": text}
    ).content.decode()
    assert "Line 25:" in page and "Line 26:" not in page
    assert "15 more lines with errors" in page
    assert "Nothing was saved" in page


def test_delete_a_goods_item(client, import_desk, world):
    regime, item = world["regime"], world["item"]
    client.force_login(import_desk)
    response = client.post(
        reverse("customs:regime_goods_delete", args=[regime.pk, item.pk]), follow=True
    )
    assert "is removed from the goods list" in response.content.decode()
    assert not RegimeGoodsItem.objects.filter(pk=item.pk).exists()
    event = AuditEvent.objects.get(verb="customs.regime_goods_deleted")
    assert event.data["hs_prefix"] == "847150"


def test_an_item_of_another_regime_is_not_deleted(client, import_desk, world):
    client.force_login(import_desk)
    other = world["other_item"]
    response = client.post(
        reverse("customs:regime_goods_delete", args=[world["regime"].pk, other.pk]), follow=True
    )
    assert "no longer exists" in response.content.decode()
    assert RegimeGoodsItem.objects.filter(pk=other.pk).exists()
    assert not AuditEvent.objects.exists()
