"""Writing a target into a config: forms, layouts and the documents that are refused."""

from __future__ import annotations

import pytest

from mirrord_ide.config.target_path import parse_target_path
from mirrord_ide.document.formats import ConfigFormat
from mirrord_ide.document.target_edit import TargetEditError, edited_text, target_value


def edit(fmt: ConfigFormat, text: str, target: str, namespace: str | None = None) -> str:
    return edited_text(text, fmt, parse_target_path(target), namespace)


def test_values_follow_the_existing_form() -> None:
    pod = parse_target_path("pod/a/container/c")
    assert target_value(pod, None, None) == "pod/a/container/c"
    assert target_value(pod, "ns", "pod/x") == {"path": "pod/a/container/c", "namespace": "ns"}
    assert target_value(pod, None, {"path": "pod/x", "namespace": "old"}) == {
        "path": "pod/a/container/c",
        "namespace": "old",
    }
    assert target_value(pod, None, {"deployment": "x"}) == {"pod": "a", "container": "c"}
    assert target_value(pod, None, {"path": {"pod": "x"}}) == {
        "path": {"pod": "a", "container": "c"}
    }
    cron = parse_target_path("cronjob/nightly")
    assert target_value(cron, None, {"pod": "x"}) == {"cron_job": "nightly"}
    labels = parse_target_path("label/tier=web,app=api")
    assert target_value(labels, None, {"pod": "x"}) == {"labels": {"tier": "web", "app": "api"}}
    targetless = parse_target_path("targetless")
    assert target_value(targetless, None, {"pod": "x"}) == "targetless"
    assert target_value(targetless, "ns", None) == {"path": "targetless", "namespace": "ns"}


@pytest.mark.parametrize(
    ("fmt", "before", "after"),
    [
        (
            "yaml",
            "agent:\r\n  ttl: 3\r\ntarget:\r\n  path: pod/x\r\n",
            "agent:\r\n  ttl: 3\r\ntarget:\r\n  path: pod/y\r\n  namespace: ns\r\n",
        ),
        (
            "toml",
            '[target]\r\npath = "pod/x"\r\n',
            '[target]\r\npath = "pod/y"\r\nnamespace = "ns"\r\n',
        ),
        (
            "toml",
            'target.path = "pod/x"\ntarget.namespace = "a"\n',
            'target.path = "pod/y"\ntarget.namespace = "ns"\n',
        ),
        (
            "yaml",
            "{agent: {ttl: 3}}\n",
            "{target: {path: pod/y, namespace: ns}, agent: {ttl: 3}}\n",
        ),
        (
            "yaml",
            "target:\n  path:\n    pod: x\n  namespace: a\n",
            "target:\n  path:\n    pod: y\n  namespace: ns\n",
        ),
        ("json", "", '{\n  "target": {"path": "pod/y", "namespace": "ns"}\n}\n'),
    ],
)
def test_layouts_are_kept(fmt: ConfigFormat, before: str, after: str) -> None:
    assert edit(fmt, before, "pod/y", "ns") == after


def test_a_bare_object_table_in_toml_stays_a_table() -> None:
    text = '[target]\npod = "x"\ncontainer = "c"\n\n[agent]\nttl = 3\n'
    assert edit("toml", text, "deployment/y") == '[target]\ndeployment = "y"\n\n[agent]\nttl = 3\n'
    assert edit("toml", text, "targetless") == '[target]\npath = "targetless"\n\n[agent]\nttl = 3\n'


@pytest.mark.parametrize(
    ("fmt", "text", "message"),
    [
        ("json", "[1]", "top level"),
        ("json", '{"target": ', "syntax error"),
        ("json", '{"target": "x", "target": "y"}', "more than once"),
        ("yaml", "target: {{ get_env(name='T') }}\n", "template"),
    ],
)
def test_documents_that_cannot_be_edited_safely(fmt: ConfigFormat, text: str, message: str) -> None:
    with pytest.raises(TargetEditError, match=message):
        edit(fmt, text, "pod/y")
