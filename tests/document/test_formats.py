import pytest

from mirrord_ide.document.formats import config_format, is_config_file


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("/w/mirrord.json", True),
        ("/w/mirrord.toml", True),
        ("/w/mirrord.yaml", True),
        ("/w/mirrord.yml", True),
        ("/w/app.mirrord.json", True),
        ("/w/.mirrord/anything.toml", True),
        ("file:///w/.mirrord/x%20y.yml", True),
        ("file:///w/app.mirrord.yaml", True),
        ("/w/package.json", False),
        ("/w/mirrord.txt", False),
        ("/w/mirrordx.json", False),
        ("/w/.mirrord/notes.md", False),
        ("/w/sub/.mirrord/deeper/x.json", False),
    ],
)
def test_is_config_file(name: str, expected: bool) -> None:
    assert is_config_file(name) is expected


def test_config_format() -> None:
    assert config_format("a/mirrord.JSON") is None  # mirrord matches extensions exactly
    assert config_format("x.yml") == "yaml"
    assert config_format("x.toml") == "toml"
    assert config_format("x.ini") is None
    assert config_format("config") is None
    assert config_format("config", allow_no_extension=True) == "json"
    assert config_format("file:///tmp/a.mirrord.toml") == "toml"
