"""`certwatch classify` on hostile input: every output line is strict UTF-8 JSON, one per
non-blank input line, a verdict for each good line and an error naming each bad one."""

from __future__ import annotations

import functools
import io
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from certwatch.classify_stream import BATCH, classify_lines
from classifiers.corpus import LABELS
from classifiers.scoring import Classifier
from tests.conftest import certwatch

ANY_CHAR = st.characters(codec=None, exclude_categories=())  # surrogates and controls too
HUGE_TEXT = ("二建市政挂证，不用到岗，社保不限，V信 gz_8821。" * 40_000)[: 1 << 20]
VERDICT_FIELDS = {"id", "label", "score", "scores", "reasons", "attributes"}
# Lines whose fate is known without reading the implementation.
BAD_LINES = [b"NaN", b'{"id": 1, "text": NaN}', b'{"id": 1, "text": "a", "x": -Infinity}',
             b'{"id": 1e400, "text": ""}', b'{"id": 1, "text": "\xff\xfe"}', b"[]", b"{",
             b'{"text": "no id"}', b'{"id": 1}', b'{"id": 1, "text": "x", "title": 5}',
             b'{"id": "\\ud800", "text": "x"}', b'{"id": ["a\\udfff"], "text": "x"}',
             b"\xef\xbb\xbf{}", b'{"id": 1, "text": "x"} trailing', b"\x00", b"\xe3\x80\x80",
             b"[" * 50_000, b'{"id": ' + b"9" * 5000 + b', "text": ""}']
BLANK_LINES = [b"", b" ", b"\t \r"]


@functools.cache
def classifier() -> Classifier:
    return Classifier.load()


def _strict_json(line: str) -> Any:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in output: not JSON")

    return json.loads(line, parse_constant=refuse)


def _has_surrogate(value: Any) -> bool:
    return any(0xD800 <= ord(c) <= 0xDFFF for c in json.dumps(value, ensure_ascii=False))


ids = st.one_of(st.text(ANY_CHAR, max_size=12), st.integers(), st.none(), st.booleans(),
                st.floats(allow_nan=False, allow_infinity=False),
                st.lists(st.text(ANY_CHAR, max_size=4), max_size=3))
texts = st.one_of(st.text(ANY_CHAR, max_size=200),
                  st.sampled_from(["", HUGE_TEXT, "\x00\x1b[31m挂证\u2028\u2029\r\x7f",
                                   "\ud800挂\udfff证 V信 gz\udc80_88", "\ufeff\u200b"]))


@st.composite
def input_lines(draw: st.DrawFn) -> tuple[bytes, tuple[str, Any]]:
    """(one input line without its ending, what must come of it)."""
    kind = draw(st.sampled_from(["object", "object", "object", "bad", "blank"]))
    if kind == "bad":
        return draw(st.sampled_from(BAD_LINES)), ("error", None)
    if kind == "blank":
        return draw(st.sampled_from(BLANK_LINES)), ("blank", None)
    obj: dict[str, Any] = {"id": draw(ids), "text": draw(texts)}
    title = draw(st.one_of(st.none(), st.text(ANY_CHAR, max_size=30)))
    if title is not None or draw(st.booleans()):
        obj["title"] = title
    if draw(st.booleans()):  # "\ud800" escapes, as in the audit's example
        raw = json.dumps(obj).encode("ascii")
        obj = json.loads(raw)  # what the line says: an escaped high+low pair is one character
        ok = not _has_surrogate(obj["id"])
    else:  # raw code points; a surrogate makes the whole line invalid UTF-8
        raw = json.dumps(obj, ensure_ascii=False).encode("utf-8", "surrogatepass")
        ok = not _has_surrogate(obj)
    return raw, ("ok", obj) if ok else ("error", None)


def assert_verdict(result: dict, obj: dict) -> None:
    assert set(result) == VERDICT_FIELDS, result
    assert result["id"] == obj["id"] and type(result["id"]) is type(obj["id"])
    assert result["label"] in LABELS
    assert set(result["scores"]) == set(LABELS)
    assert abs(result["score"] - (1 - result["scores"]["benign"])) < 1e-3
    for reason in result["reasons"]:
        assert set(reason) == {"text", "start", "end", "weight", "field"}
        assert reason["field"] in ("text", "title")
    assert set(result["attributes"]) >= {"certificates", "contacts", "price", "region"}
    # Scored on its own title and text: the same verdict as classifying them directly.
    alone = classifier().classify(obj["text"], obj.get("title") or "").as_dict()
    assert {k: result[k] for k in alone} == json.loads(json.dumps(alone, ensure_ascii=False))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.data_too_large])
@given(lines=st.lists(input_lines(), max_size=8), crlf=st.booleans())
def test_any_input_gives_strict_json_lines(lines: list[tuple[bytes, tuple[str, Any]]],
                                           crlf: bool) -> None:
    data = (b"\r\n" if crlf else b"\n").join(raw for raw, _ in lines)
    out = io.BytesIO()
    bad = classify_lines(io.BytesIO(data), out, classifier())
    text = out.getvalue().decode("utf-8")  # strict: a lone surrogate would raise here
    assert text == "" or text.endswith("\n")
    results = [_strict_json(line) for line in text.splitlines()]
    expected = [(number, fate) for number, (_, fate) in enumerate(lines, 1)
                if fate[0] != "blank"]
    assert len(results) == len(expected)
    for result, (number, (fate, obj)) in zip(results, expected, strict=True):
        if fate == "ok":
            assert_verdict(result, obj)
        else:
            assert set(result) == {"line", "error"} and result["line"] == number, result
            assert isinstance(result["error"], str) and result["error"]
    assert bad == sum(fate == "error" for _, (fate, _) in expected)


def test_cli_lone_surrogate_id_costs_only_its_line(tmp_path: Path) -> None:
    """The audit's line: once a UnicodeEncodeError traceback that lost the whole batch."""
    stdin = ('{"id":"\\ud800","text":"x"}\n'
             '{"id":"好","text":"二建挂证 不用到岗 V信 gz_8821"}\n'
             '{"id":3,"title":"\\udfff","text":"\\ud800挂证"}\n')
    proc = certwatch("classify", home=tmp_path, stdin=stdin, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    out = [_strict_json(line) for line in proc.stdout.splitlines()]
    assert out[0]["line"] == 1 and "id" in out[0]["error"]
    assert out[1]["id"] == "好" and out[1]["label"] != "benign"
    assert out[2]["id"] == 3 and set(out[2]) == VERDICT_FIELDS
    assert "\ud800" not in proc.stdout and "\udfff" not in proc.stdout


def test_cli_bad_lines_in_every_batch_and_blank_lines_skipped(tmp_path: Path) -> None:
    total = 2 * BATCH + 50
    bad_at = {1, BATCH, BATCH + 1, total}
    blank_at = {2, 100, BATCH + 2}
    bad_kinds = iter([b'{"id": "\\ud800", "text": "x"}', b'{"id": 1, "text": NaN}',
                      b"\xff not utf-8", b'{"id": 1e400, "text": "x"}'])
    raw = []
    for number in range(1, total + 1):
        if number in bad_at:
            raw.append(next(bad_kinds))
        elif number in blank_at:
            raw.append(b"  ")
        else:
            raw.append(json.dumps({"id": number, "text": f"第{number}条 二建挂证"},
                                  ensure_ascii=False).encode())
    src = tmp_path / "in.jsonl"
    src.write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(raw) + b"\r\n")  # BOM and CRLF, as Windows
    proc = certwatch("classify", str(src), home=tmp_path, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr[-2000:]
    out = [_strict_json(line) for line in proc.stdout.splitlines()]
    assert len(out) == total - len(blank_at)
    assert sorted(o["line"] for o in out if "error" in o) == sorted(bad_at)
    good = [o for o in out if "error" not in o]
    assert [o["id"] for o in good] == sorted(set(range(1, total + 1)) - bad_at - blank_at)
    assert all(set(o) == VERDICT_FIELDS for o in good)

    src.write_bytes(b"\n".join(r for n, r in enumerate(raw, 1) if n not in bad_at) + b"\n\n")
    clean = certwatch("classify", str(src), home=tmp_path, check=False)
    assert clean.returncode == 0 and clean.stderr == ""
    assert len(clean.stdout.splitlines()) == total - len(bad_at) - len(blank_at)


def test_without_a_model_one_line_and_nothing_scored(tmp_path: Path) -> None:
    """A configuration error (exit 2, README), told apart from bad input by its message and
    an empty stdout."""
    env = {"CERTWATCH_MODEL_DIR": str(tmp_path / "no-model")}
    labelled = tmp_path / "labelled.jsonl"
    labelled.write_text('{"id": "a", "label": "benign", "text": "招聘施工员"}\n', "utf-8")
    for args in (("classify",), ("evaluate", str(labelled))):
        proc = certwatch(*args, home=tmp_path, env=env, check=False,
                         stdin='{"id": 1, "text": "二建挂证"}\n')
        assert proc.returncode == 2 and proc.stdout == ""
        assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
        assert proc.stderr.startswith(f"certwatch: error: {args[0]}: no usable classifier "
                                      f"model, nothing was scored: no trained model in ")
        assert "certwatch train" in proc.stderr


def test_unicode_line_breaks_stay_inside_their_result_line() -> None:
    """NEL and LINE/PARAGRAPH SEPARATOR are newlines to str.splitlines and many readers:
    echoed raw, one result would read as two broken lines."""
    item = {"id": "a\u2028b\x85c\u2029", "title": "挂\u2028证",
            "text": "二建挂证\u2029不用到岗\x85"}
    out = io.BytesIO()
    assert classify_lines(io.BytesIO(json.dumps(item).encode()), out, classifier()) == 0
    lines = out.getvalue().decode("utf-8").splitlines()
    assert len(lines) == 1
    assert _strict_json(lines[0])["id"] == item["id"]
