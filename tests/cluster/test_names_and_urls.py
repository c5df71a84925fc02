"""Kubernetes names are checked as the API server checks them, and API URLs are built
in one place that refuses anything else."""

from __future__ import annotations

import pytest

from mirrord_ide.cluster.kinds import (
    KINDS,
    OPERATOR_KINDS,
    TARGET_KIND_ORDER,
    api_url,
    kind_of,
)
from mirrord_ide.config.model import MirrordConfig
from mirrord_ide.config.target_path import OPERATOR_KINDS as CONFIG_OPERATOR_KINDS
from mirrord_ide.errors import InvalidConfig
from mirrord_ide.names import (
    check_chosen_namespace,
    check_name,
    check_namespace,
    is_valid,
    name_problem,
)

# One or more cases per class of bad name; the expected words are what the user reads.
BAD_NAMESPACES: list[tuple[str, str]] = [
    ("default/../kube-system", "contains '/'"),
    ("a\\b", "contains '\\'"),
    ("..", "contains '.'"),
    (".", "contains '.'"),
    ("a.b", "contains '.'"),
    ("default?watch=1", "contains '?'"),
    ("default#frag", "contains '#'"),
    ("default%2F..%2Fkube-system", "contains '%'"),
    ("default ", "whitespace"),
    (" default", "whitespace"),
    ("def\tault", "whitespace"),
    ("default\n", "whitespace"),
    ("Default", "upper-case"),
    ("KUBE-SYSTEM", "upper-case"),
    ("a" * 64, "64 characters long; at most 63"),
    ("", "empty"),
    ("kube-s\u0443stem", "non-ASCII character 'у' (U+0443 CYRILLIC SMALL LETTER U)"),
    ("\uff44efault", "non-ASCII"),
    ("default\u200b", "U+200B"),
    ("default\x00", "control character U+0000"),
    ("-default", "starts with '-'"),
    ("default-", "ends with '-'"),
    ("under_score", "contains '_'"),
]


@pytest.mark.parametrize(("name", "why"), BAD_NAMESPACES)
def test_bad_namespaces_are_rejected_with_the_reason(name: str, why: str) -> None:
    with pytest.raises(InvalidConfig) as info:
        check_namespace(name, "MIRRORD_TARGET_NAMESPACE")
    error = info.value
    assert error.kind == "invalid-config"
    assert why in error.message
    assert "is not a valid namespace name" in error.message
    assert "(from MIRRORD_TARGET_NAMESPACE)" in error.message
    assert error.hint and "63" in error.hint
    # The message quotes the name (control characters escaped, never raw).
    assert "\n" not in error.message and "\x00" not in error.message
    if name.isprintable():
        assert f"`{name}`" in error.message


def test_the_documented_example_reads_well() -> None:
    with pytest.raises(InvalidConfig) as info:
        check_namespace("default/../kube-system")
    assert info.value.message == (
        "`default/../kube-system` is not a valid namespace name: it contains '/'"
    )


@pytest.mark.parametrize("name", ["default", "kube-system", "a", "0", "a" * 63, "ns-1-2"])
def test_good_namespaces_pass(name: str) -> None:
    assert check_namespace(name) == name


def test_object_names_are_subdomains() -> None:
    assert check_name("pod", "web-7d9f.canary") == "web-7d9f.canary"
    assert check_name("deployment", "a" * 253) == "a" * 253
    for bad, why in [
        ("a" * 254, "254 characters long; at most 253"),
        ("web..x", "empty part"),
        (".web", "empty part"),
        ("web.-x", "a '.'-separated part starts with '-'"),
        ("Web", "upper-case"),
        ("web/x", "contains '/'"),
    ]:
        with pytest.raises(InvalidConfig, match="is not a valid pod name") as info:
            check_name("pod", bad)
        assert why in info.value.message


def test_containers_are_labels_and_services_dns1035() -> None:
    assert is_valid("container", "app")
    assert not is_valid("container", "app.v1")  # a label: no dots
    assert not is_valid("container", "x" * 64)
    assert is_valid("service", "api")
    assert name_problem("9api", "dns1035") == "it starts with a digit"
    assert is_valid("pod", "9api")
    assert name_problem(7, "label") == "it is a int, not a string"


def test_long_names_are_cut_in_messages() -> None:
    with pytest.raises(InvalidConfig) as info:
        check_namespace("x" * 10_000)
    assert len(info.value.message) < 300 and "…" in info.value.message


def test_the_namespace_that_wins_is_the_one_checked() -> None:
    assert check_chosen_namespace((None, "flag"), ("shop", "env"), ("Bad!", "config")) == "shop"
    assert check_chosen_namespace((None, "flag"), ("", "env")) is None
    with pytest.raises(InvalidConfig, match=r"\(from --namespace\)"):
        check_chosen_namespace(("..", "--namespace"), ("shop", "env"))


# -- the kind registry and the URL builder ---------------------------------------------------


def test_urls_for_collections_objects_and_subresources() -> None:
    assert api_url("pod") == "/api/v1/pods"
    assert api_url("pod", "shop") == "/api/v1/namespaces/shop/pods"
    assert api_url("pod", "shop", "web-1", "log") == "/api/v1/namespaces/shop/pods/web-1/log"
    assert api_url("deployment", "shop", "api") == "/apis/apps/v1/namespaces/shop/deployments/api"
    assert api_url("rollouts", "shop") == "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts"
    assert api_url("job") == "/apis/batch/v1/jobs"
    assert api_url("namespace") == "/api/v1/namespaces"
    assert api_url("namespace", name="shop") == "/api/v1/namespaces/shop"
    assert api_url("node", name="ip-10-0-0-1.ec2.internal") == (
        "/api/v1/nodes/ip-10-0-0-1.ec2.internal"
    )
    assert api_url(KINDS["configmap"], "shop", "settings") == (
        "/api/v1/namespaces/shop/configmaps/settings"
    )


@pytest.mark.parametrize("name", [bad for bad, _ in BAD_NAMESPACES])
def test_no_bad_name_becomes_a_url(name: str) -> None:
    builds = [
        lambda: api_url("pod", name),
        lambda: api_url("namespace", name=name),
        lambda: api_url("deployment", name, "api"),
    ]
    if not is_valid("pod", name):  # `a.b` and 64 characters are fine pod names
        builds.append(lambda: api_url("pod", "default", name))
    for build in builds:
        with pytest.raises(InvalidConfig):
            build()


def test_url_builder_refuses_what_the_api_does_not_have() -> None:
    with pytest.raises(InvalidConfig, match="not namespaced"):
        api_url("node", "default")
    with pytest.raises(InvalidConfig, match="unsupported subresource"):
        api_url("pod", "default", "web", "exec?command=sh")
    with pytest.raises(InvalidConfig, match="unsupported subresource"):
        api_url("pod", "default", None, "log")
    with pytest.raises(InvalidConfig, match="unknown Kubernetes kind"):
        kind_of("widgets")


def test_operator_kinds_follow_mirrord() -> None:
    # mirrord/config/src/target.rs `Target::requires_operator`.
    assert OPERATOR_KINDS == {"job", "cronjob", "statefulset", "service", "replicaset", "label"}
    assert OPERATOR_KINDS == CONFIG_OPERATOR_KINDS
    assert not {"pod", "deployment", "rollout", "targetless"} & OPERATOR_KINDS
    assert [k.name for k in KINDS.values() if k.needs_operator] == [
        "statefulset",
        "cronjob",
        "job",
        "service",
        "replicaset",
    ]
    assert TARGET_KIND_ORDER == ("deployment", "rollout", "statefulset", "cronjob", "job", "pod")
    assert kind_of("statefulsets") is KINDS["statefulset"]
    assert KINDS["pod"].pods == "self" and KINDS["deployment"].pods == "match-labels"
    assert KINDS["rollout"].optional and not KINDS["deployment"].optional


# -- the config layer reports bad names as diagnostics ----------------------------------------


def _name_problems(raw: dict[str, object]) -> list[tuple[tuple[object, ...], str]]:
    from mirrord_ide.config.kube_names import check_kube_names

    config = MirrordConfig.model_validate(raw)
    return [(p.path, p.message) for p in check_kube_names(config)]


def test_config_names_are_checked_where_they_are_written() -> None:
    found = _name_problems(
        {
            "target": {"path": "deployment/Api/container/App_1", "namespace": "default/../x"},
            "agent": {"namespace": ".."},
        }
    )
    assert found == [
        (
            ("target", "path"),
            "`Api` is not a valid deployment name: it contains upper-case "
            "letters; Kubernetes names are lower case",
        ),  # fmt: skip
        (("target", "path"), "`App_1` is not a valid container name: it contains '_'"),
        (("target", "namespace"), "`default/../x` is not a valid namespace name: it contains '/'"),
        (("agent", "namespace"), "`..` is not a valid namespace name: it contains '.'"),
    ]
    found = _name_problems({"target": {"path": {"pod": "a b", "container": "-c"}}})
    assert [p for p, _ in found] == [("target", "path", "pod"), ("target", "path", "container")]
    assert _name_problems({"target": {"stateful_set": "db"}}) == []
    assert _name_problems({"target": "targetless"}) == []
    assert _name_problems({"target": "label/app=Web"}) == []  # label values are not names
    # Templates are rendered before mirrord reads the value.
    assert _name_problems({"target": {"namespace": '{{ get_env(name="NS") }}'}}) == []
