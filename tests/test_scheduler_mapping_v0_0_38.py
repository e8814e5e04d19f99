"""The v0.0.38 mapping against replies recorded on this machine's Slurm 22.05 (no database).

tests/scheduler_examples/v0.0.38/README.md says what was recorded and what was filled in.
Request shapes are the ones SLURM-NOTES.md measured to work.
"""

import json
from pathlib import Path

import pytest

from allocations.scheduler.backends.mappings import Association, get_mapping
from allocations.scheduler.backends.mappings.v0_0_38 import MISSING_USER, NOTHING_FOUND, Mapping

EXAMPLES = Path(__file__).parent / "scheduler_examples" / "v0.0.38"
CLUSTER = "kazgpu"
DB = "/slurmdb/v0.0.38"


def example(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text())


@pytest.fixture
def mapping() -> Mapping:
    return Mapping()


def limited(mapping: Mapping) -> Association:
    (association,) = mapping.parse_associations(example("response_association_limits.json"))
    return association


def test_selected_by_version_setting():
    assert isinstance(get_mapping("v0.0.38"), Mapping)


# --- parsing the recorded replies ------------------------------------------------------


def test_parse_sentinel_associations(mapping):
    parsed = mapping.parse_associations(example("response_associations_sentinel.json"))
    assert parsed == [
        Association("portal_sentinel", None, "root", None),
        Association("portal_sentinel", "root", None, None),
    ]


def test_parse_limits_read_back(mapping):
    association = limited(mapping)
    assert association == Association("probe_a", None, "root", 60)
    assert association.raw_limits["tres"]["total"] == [
        {"type": "gres", "name": "gpu", "id": 1001, "count": 4}
    ]


def test_parse_tolerates_absent_fields(mapping):
    body = {"associations": [{"account": "a"}, {"account": "b", "max": None, "user": ""}]}
    assert mapping.parse_associations(body) == [
        Association("a", None, None, None),
        Association("b", None, None, None),
    ]
    assert mapping.parse_associations({"associations": None}) == []


# --- requests --------------------------------------------------------------------------


def test_account_limit_keeps_every_other_tres_list(mapping):
    current = limited(mapping)
    request = mapping.set_account_limit(
        cluster=CLUSTER, account="probe_a", gpu_minutes=120, current=current
    )
    assert (request.method, request.path) == ("POST", f"{DB}/associations")
    # 22.05 crashes when a modify leaves out a TRES list the association has.
    assert request.body == {
        "associations": [
            {
                "account": "probe_a",
                "cluster": CLUSTER,
                "parent_account": "root",
                "max": {
                    "tres": {
                        "total": [{"type": "gres", "name": "gpu", "id": 1001, "count": 4}],
                        "minutes": {
                            "per": {"job": [{"type": "cpu", "name": None, "id": 1, "count": 1000}]}
                        },
                        "group": {"minutes": [{"type": "gres", "name": "gpu", "count": 120}]},
                    }
                },
            }
        ]
    }
    assert current.gpu_minutes == 60  # the read is not mutated


def test_account_association_requests_omit_user(mapping):
    new = mapping.set_account_limit(cluster=CLUSTER, account="a", gpu_minutes=5, current=None)
    touch = mapping.touch_account(cluster=CLUSTER, account="portal_sentinel")
    assert new.body == {
        "associations": [
            {
                "account": "a",
                "cluster": CLUSTER,
                "parent_account": "root",
                "max": {
                    "tres": {"group": {"minutes": [{"type": "gres", "name": "gpu", "count": 5}]}}
                },
            }
        ]
    }
    assert touch.body == {
        "associations": [
            {"account": "portal_sentinel", "cluster": CLUSTER, "parent_account": "root"}
        ]
    }
    assert mapping.needs_sentinel_touch is True


def test_missing_user_error_is_harmless_only_for_account_associations(mapping):
    errors = mapping.errors(example("response_post_missing_user.json"))
    assert [e["description"] for e in errors] == [MISSING_USER]
    for request in (
        mapping.set_account_limit(cluster=CLUSTER, account="a", gpu_minutes=5, current=None),
        mapping.touch_account(cluster=CLUSTER, account="portal_sentinel"),
    ):
        assert all(e["description"] in request.harmless_errors for e in errors)
    users = mapping.add_user_associations(cluster=CLUSTER, account="a", users=["u"])
    assert users.harmless_errors == ()


def test_users_and_user_associations(mapping):
    users = mapping.create_users(names=["pt_alice"], default_account="probe_a")
    assert (users.method, users.path) == ("POST", f"{DB}/users")
    assert users.body == {"users": [{"name": "pt_alice", "default": {"account": "probe_a"}}]}
    assocs = mapping.add_user_associations(cluster=CLUSTER, account="probe_a", users=["pt_alice"])
    assert assocs.body == {
        "associations": [{"account": "probe_a", "cluster": CLUSTER, "user": "pt_alice"}]
    }


def test_create_account(mapping):
    request = mapping.create_account(
        cluster=CLUSTER, name="probe_a", description="", organization=""
    )
    assert (request.method, request.path) == ("POST", f"{DB}/accounts")
    assert request.body == {
        "accounts": [{"name": "probe_a", "description": "probe_a", "organization": "portal"}]
    }


def test_reads(mapping):
    one = mapping.list_associations(cluster=CLUSTER, account="portal_sentinel")
    assert (one.method, one.path) == ("GET", f"{DB}/associations")
    assert one.query == {"cluster": CLUSTER, "account": "portal_sentinel"}
    assert mapping.list_associations(cluster=CLUSTER).query == {"cluster": CLUSTER}


def test_nothing_found_is_recognised(mapping):
    body = example("response_user_nothing_found.json")  # came with HTTP 500
    request = mapping.list_users()
    (error,) = mapping.errors(body)
    assert error["error_number"] == NOTHING_FOUND
    assert error["error_number"] in request.empty_error_numbers
    assert mapping.parse_user_names(body) == set()


def test_remove_user_association(mapping):
    request = mapping.remove_user_association(cluster=CLUSTER, account="probe_a", user="pt_alice")
    assert (request.method, request.path, request.body) == ("DELETE", f"{DB}/association", None)
    assert request.query == {"account": "probe_a", "user": "pt_alice", "cluster": CLUSTER}
    body = example("response_delete.json")
    assert mapping.errors(body) == []
    assert body["removed_associations"] == ["C = kazgpu     A = probe_a    U = pt_alice "]


def test_errors_ignore_what_is_not_an_error_list(mapping):
    assert mapping.errors(None) == []
    assert mapping.errors("segfault: empty reply") == []
    assert mapping.errors({"errors": None}) == []
