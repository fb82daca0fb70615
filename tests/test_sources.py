"""Source files: bundled ones load; mistakes name the file, the field and what is allowed."""

from pathlib import Path

import pytest

from crawlers.errors import SourceConfigError
from crawlers.sources import load_sources, parse_source, select_sources

MINIMAL = """
name: demo
start_urls: [http://example.cn/list/]
list:
  item: li.job
  link: a::attr(href)
detail:
  fields:
    title: h1
"""


def test_bundled_sources_load() -> None:
    sources = load_sources()
    assert {"jobs58", "zhipin", "xianyu", "tieba", "hostile"} <= set(sources)
    assert sources["xianyu"].browser and not sources["jobs58"].browser
    assert sources["tieba"].encoding == "gbk"


def test_minimal_source_defaults_are_polite() -> None:
    config = parse_source(Path("demo.yaml"), MINIMAL)
    assert config.politeness.obey_robots
    assert config.politeness.delay >= 1.0
    assert config.allowed_domains == ("example.cn",)


@pytest.mark.parametrize(("patch", "message"), [
    ("name: Demo Site", "field 'name': expected lower-case letters"),
    ("politeness: {delay: fast}", "field 'politeness.delay': expected a number ≥ 0, got 'fast'"),
    ("politeness: {obey_robots: false}", "field 'politeness.robots_reason' is required"),
    ("limits: {max_bytes: 5 parsecs}", "field 'limits.max_bytes': expected a size like"),
    ("limits: {pages: 0}", "field 'limits.pages': expected a integer > 0, got 0"),
    ("colour: red", "unknown field 'colour'; allowed here: name, title"),
    ("encoding: klingon", "field 'encoding': expected a codec Python knows"),
    ("key: '/p/\\d+'", "field 'key': expected a regular expression with one capturing group"),
    ("start_urls: [ftp://x.cn/]", "field 'start_urls': expected absolute http(s) URLs"),
])
def test_mistakes_name_file_field_and_allowed(patch: str, message: str) -> None:
    key = patch.split(":")[0]
    lines = [ln for ln in MINIMAL.splitlines() if not ln.startswith(key + ":")]
    text = "\n".join(lines) + "\n" + patch + "\n"
    with pytest.raises(SourceConfigError) as err:
        parse_source(Path("/etc/certwatch/sources/demo.yaml"), text)
    assert str(err.value).startswith("/etc/certwatch/sources/demo.yaml: ")
    assert message in str(err.value)


def test_invalid_css_is_caught_at_load() -> None:
    text = MINIMAL.replace("item: li.job", "item: 'li..job'")
    with pytest.raises(SourceConfigError, match=r"field 'list.item': invalid CSS selector"):
        parse_source(Path("demo.yaml"), text)


def test_detail_must_extract_title() -> None:
    text = MINIMAL.replace("title: h1", "body: div.text")
    with pytest.raises(SourceConfigError, match=r"'detail.fields' must extract 'title'"):
        parse_source(Path("demo.yaml"), text)


def test_actions_need_a_browser() -> None:
    text = MINIMAL.replace("  link: a::attr(href)", "  link: a::attr(href)\n  actions:\n"
                           "    - click_until_gone: '#more'")
    with pytest.raises(SourceConfigError, match="needs 'browser: true'"):
        parse_source(Path("demo.yaml"), text)


def test_user_dir_adds_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text(MINIMAL.replace("name: demo", "name: mine"), "utf-8")
    (tmp_path / "jobs58.yaml").write_text(MINIMAL.replace("name: demo", "name: jobs58"),
                                          "utf-8")
    sources = load_sources(tmp_path)
    assert "mine" in sources
    assert sources["jobs58"].path == tmp_path / "jobs58.yaml"


def test_unknown_source_lists_available() -> None:
    with pytest.raises(SourceConfigError, match=r"unknown source\(s\): nope; available: .*jobs58"):
        select_sources(["nope"])


def test_yaml_syntax_error_names_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed\n", "utf-8")
    with pytest.raises(SourceConfigError, match=rf"{bad}: not valid YAML"):
        load_sources(tmp_path)
