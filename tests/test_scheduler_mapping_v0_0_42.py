"""The v0.0.42 mapping against examples written from the published schema (no database).

tests/scheduler_examples/v0.0.42/README.md says which schema object each file follows.
"""

import copy
import json
from pathlib import Path

import pytest

from allocations.scheduler.backends.mappings import Association, get_mapping
from allocations.scheduler.backends.mappings.v0_0_42 import (
    NO_CHANGE,
    NOTHING_FOUND,
    Mapping,
    number,
)

EXAMPLES = Path(__file__).parent / "scheduler_examples" / "v0.0.42"
CLUSTER = "kazgpu"
DB = "/slurmdb/v0.0.42"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


@pytest.fixture
def mapping() -> Mapping:
    return Mapping()


def account_association(mapping: Mapping) -> Association:
    parsed = mapping.parse_associations(example("response_associations_account.json"))
    return next(a for a in parsed if a.user is None)


def test_selected_by_version_setting():
    chosen = get_mapping("v0.0.42")
    assert isinstance(chosen, Mapping)
    assert chosen.version == "v0.0.42"


# --- requests equal the recorded request examples ------------------------------------


def test_create_account(mapping):
    request = mapping.create_account(
        cluster=CLUSTER,
        name="portal_a",
        description="Protein folding at scale",
        organization="Institute of Physics",
    )
    assert (request.method, request.path, request.query) == ("POST", f"{DB}/accounts", {})
    assert request.body == example("request_account_create.json")


def test_account_limit_keeps_every_other_limit_read(mapping):
    current = account_association(mapping)
    request = mapping.set_account_limit(
        cluster=CLUSTER, account="portal_a", gpu_minutes=9000, current=current
    )
    assert (request.method, request.path) == ("POST", f"{DB}/associations")
    assert request.body == example("request_account_limit.json")

    # The merge, spelled out: v0.0.42 removes any TRES limit a modify leaves out.
    sent = request.body["associations"][0]["max"]["tres"]
    read = current.raw_limits["tres"]
    assert sent["total"] == read["total"]  # GrpTRES gres/gpu=8
    assert sent["minutes"]["per"]["job"] == read["minutes"]["per"]["job"]
    assert {"type": "cpu", "name": "", "id": 1, "count": 600000} in sent["group"]["minutes"]
    gpu = [e for e in sent["group"]["minutes"] if e["type"] == "gres"]
    assert gpu == [{"type": "gres", "name": "gpu", "count": 9000}]
    assert set(sent) == {"total", "group", "minutes"}  # the empty lists read are left out
    assert read["group"]["minutes"][1]["count"] == 6000  # the read is not mutated


def test_account_limit_for_a_new_association(mapping):
    request = mapping.set_account_limit(
        cluster=CLUSTER, account="portal_d", gpu_minutes=6000, current=None
    )
    assert request.body == example("request_account_limit_new.json")


def test_account_association_always_carries_user(mapping):
    # `user` is required by v0.0.42_assoc; null (not "") makes slurmdbd add an
    # account association instead of a user-less user association.
    for request in (
        mapping.set_account_limit(cluster=CLUSTER, account="a", gpu_minutes=1, current=None),
        mapping.touch_account(cluster=CLUSTER, account="portal_sentinel"),
    ):
        (association,) = request.body["associations"]
        assert "user" in association
        assert association["user"] is None


def test_touch(mapping):
    request = mapping.touch_account(cluster=CLUSTER, account="portal_sentinel")
    assert (request.method, request.path) == ("POST", f"{DB}/associations")
    assert request.body == example("request_touch.json")
    assert mapping.needs_sentinel_touch is True


def test_create_users_and_user_associations(mapping):
    users = mapping.create_users(names=["pt_alice", "pt_bob"], default_account="portal_a")
    assert (users.method, users.path) == ("POST", f"{DB}/users")
    assert users.body == example("request_users_create.json")

    assocs = mapping.add_user_associations(
        cluster=CLUSTER, account="portal_a", users=["pt_alice", "pt_bob"]
    )
    assert (assocs.method, assocs.path) == ("POST", f"{DB}/associations")
    assert assocs.body == example("request_user_associations.json")


def test_remove_user_association(mapping):
    request = mapping.remove_user_association(cluster=CLUSTER, account="portal_a", user="pt_bob")
    assert (request.method, request.path, request.body) == ("DELETE", f"{DB}/association", None)
    assert request.query == {"account": "portal_a", "user": "pt_bob", "cluster": CLUSTER}
    assert mapping.errors(example("response_delete.json")) == []


def test_reads(mapping):
    one = mapping.list_associations(cluster=CLUSTER, account="portal_a")
    assert (one.method, one.path) == ("GET", f"{DB}/associations")
    assert one.query == {"cluster": CLUSTER, "account": "portal_a"}
    bulk = mapping.list_associations(cluster=CLUSTER)
    assert bulk.query == {"cluster": CLUSTER}
    users = mapping.list_users()
    assert (users.method, users.path, users.query) == ("GET", f"{DB}/users", {})


def test_no_harmless_errors_any_more(mapping):
    requests = [
        mapping.set_account_limit(cluster=CLUSTER, account="a", gpu_minutes=1, current=None),
        mapping.touch_account(cluster=CLUSTER, account="s"),
        mapping.add_user_associations(cluster=CLUSTER, account="a", users=["u"]),
        mapping.create_users(names=["u"], default_account="a"),
        mapping.create_account(cluster=CLUSTER, name="a", description="", organization=""),
    ]
    assert all(request.harmless_errors == () for request in requests)


# --- parsing the recorded replies ------------------------------------------------------


def test_parse_one_account(mapping):
    parsed = mapping.parse_associations(example("response_associations_account.json"))
    assert parsed == [
        Association("portal_a", None, "root", 6000),
        Association("portal_a", "pt_alice", None, None),
        Association("portal_a", "pt_bob", None, None),
    ]
    assert (
        parsed[0].raw_limits
        == example("response_associations_account.json")["associations"][0]["max"]
    )


def test_parse_bulk(mapping):
    parsed = mapping.parse_associations(example("response_associations_bulk.json"))
    by_key = {(a.account, a.user): a for a in parsed}
    assert set(by_key) == {
        ("root", None),
        ("portal_sentinel", None),
        ("portal_a", None),
        ("portal_a", "pt_alice"),
        ("portal_b", None),
        ("portal_b", "pt_carol"),
    }
    assert by_key[("root", None)].parent is None
    assert by_key[("portal_sentinel", None)] == Association("portal_sentinel", None, "root", None)
    assert by_key[("portal_a", None)].gpu_minutes == 6000
    assert by_key[("portal_b", None)].gpu_minutes == 0  # suspended, not unlimited
    assert by_key[("portal_b", "pt_carol")].parent is None


def test_parse_users(mapping):
    names = mapping.parse_user_names(example("response_users.json"))
    assert names == {"root", "portal", "pt_alice", "pt_bob"}


# --- errors, "nothing found", "nothing changed" ----------------------------------------


def test_errors_are_extracted(mapping):
    body = example("response_error.json")
    assert mapping.errors(body) == [
        {
            "description": "Missing required field 'user' in dictionary",
            "error_number": 9200,
            "error": "Unable to resolve path",
            "source": "#/associations[0]/user",
        }
    ]
    request = mapping.add_user_associations(cluster=CLUSTER, account="a", users=["u"])
    assert 9200 not in request.empty_error_numbers
    assert mapping.errors(None) == []
    assert mapping.errors({"errors": ["junk", {"description": "x"}]}) == [{"description": "x"}]


def test_nothing_found(mapping):
    # v0.0.42 reports an empty result as a warning with HTTP 200, not as error 9003.
    body = example("response_nothing_found.json")
    request = mapping.list_associations(cluster=CLUSTER, account="gone")
    failing = [
        e for e in mapping.errors(body) if e.get("error_number") not in request.empty_error_numbers
    ]
    assert failing == []
    assert mapping.parse_associations(body) == []
    # A reply that still uses the old error is recognised as empty too.
    old_style = {"errors": [{"error_number": NOTHING_FOUND}], "associations": []}
    assert mapping.errors(old_style)[0]["error_number"] in request.empty_error_numbers
    assert NOTHING_FOUND in mapping.list_users().empty_error_numbers


def test_nothing_changed_is_not_a_failure_of_the_writes(mapping):
    (error,) = mapping.errors(example("response_nothing_changed.json"))
    assert error["error_number"] == NO_CHANGE
    for request in (
        mapping.touch_account(cluster=CLUSTER, account="portal_sentinel"),
        mapping.set_account_limit(cluster=CLUSTER, account="a", gpu_minutes=1, current=None),
        mapping.remove_user_association(cluster=CLUSTER, account="a", user="u"),
    ):
        assert error["error_number"] in request.empty_error_numbers
    user_assocs = mapping.add_user_associations(cluster=CLUSTER, account="a", users=["u"])
    assert NO_CHANGE not in user_assocs.empty_error_numbers


# --- odd or absent fields do not crash parsing -----------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"set": True, "infinite": False, "number": 10}, 10),
        ({"set": False, "infinite": False, "number": 0}, None),
        ({"set": True, "infinite": True, "number": 5}, None),
        ({"infinite": True}, None),
        ({}, None),
        (7, 7),
        (None, None),
        (True, None),
        ("12", None),
    ],
)
def test_number(value, expected):
    assert number(value) == expected


def test_parse_tolerates_odd_and_missing_fields(mapping):
    gpu = {"type": "gres", "name": "gpu", "id": 1001}

    def gpu_limit(account, *entries):
        return {"account": account, "max": {"tres": {"group": {"minutes": list(entries)}}}}

    body = {
        "associations": [
            {"account": "no_max", "user": "", "parent_account": "root"},
            {"account": "max_null", "max": None, "user": None},
            {"account": "tres_null", "max": {"tres": None}},
            gpu_limit("inf", {**gpu, "count": {"set": False, "infinite": True, "number": 0}}),
            gpu_limit("unset", {**gpu, "count": {"set": False, "infinite": False, "number": 0}}),
            gpu_limit("obj", "junk", {**gpu, "count": {"set": True, "number": 30}}),
            gpu_limit("no_count", gpu),
            {"account": "gone", "flags": ["DELETED"], "user": ""},
            {"user": "no_account"},
            "junk",
        ],
    }
    parsed = {a.account: a for a in mapping.parse_associations(body)}
    assert set(parsed) == {"no_max", "max_null", "tres_null", "inf", "unset", "obj", "no_count"}
    assert parsed["no_max"] == Association("no_max", None, "root", None)
    assert parsed["no_max"].raw_limits == {}
    assert {a.gpu_minutes for n, a in parsed.items() if n != "obj"} == {None}
    assert parsed["obj"].gpu_minutes == 30
    assert mapping.parse_associations({}) == []
    assert mapping.parse_associations(None) == []
    assert mapping.parse_user_names({"users": [{"name": "x", "flags": ["DELETED"]}, {}]}) == set()


def test_modify_after_odd_read_does_not_crash(mapping):
    body = example("response_associations_account.json")
    odd = copy.deepcopy(body["associations"][0])
    odd["max"]["tres"]["group"]["minutes"] = None
    odd["max"]["tres"]["per"] = "junk"
    (current,) = mapping.parse_associations({"associations": [odd]})
    request = mapping.set_account_limit(
        cluster=CLUSTER, account="portal_a", gpu_minutes=5, current=current
    )
    tres = request.body["associations"][0]["max"]["tres"]
    assert tres["group"]["minutes"] == [{"type": "gres", "name": "gpu", "count": 5}]
    assert tres["total"] == odd["max"]["tres"]["total"]
