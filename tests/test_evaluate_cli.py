"""`certwatch evaluate FILE`: the figures it prints are those of the verdicts
`certwatch classify` gives the same texts, and a malformed file is one error naming file:line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from classifiers.corpus import LABELS
from tests.conftest import certwatch

EXAMPLES = [
    {"id": "g1", "label": "guazheng",
     "text": "二建市政证书挂靠，不用到岗，社保不限，一年3万。V信 gz_8821"},
    {"id": "g2", "label": "guazheng", "obfuscated": True,
     "text": "掛 證：二J市政，不用來上班，每年給點費用，V信 gz_8821"},
    {"id": "g3", "label": "guazheng", "obfuscated": True,
     "text": "有一建证书的朋友看过来，你只需交照片，其余交给我们，人不用来，每年给点费用"},
    {"id": "f1", "label": "fake_cert",
     "text": "特种作业操作证，不用考试直接拿证，全国联网可查，官网可查。微信 zs_5566"},
    {"id": "f2", "label": "fake_cert", "obfuscated": True,
     "text": "电工 證 免-考 直接 拿 证，官 网 可 查，v：zs5566"},
    {"id": "e1", "label": "exam_fraud", "title": "安全员C证包过班",
     "text": "安全员C证考试包过，免考速成，不过退费，内部渠道保证拿证。QQ 12345678"},
    {"id": "e2", "label": "exam_fraud", "obfuscated": True,
     "text": "安全员c証 bao过 班，不 过 全 退，考 前 给 答 案"},
    {"id": "b1", "label": "benign",
     "text": "北京朝阳项目招聘施工员，需常驻工地，公司缴纳社保，月薪8000。"},
    {"id": "b2", "label": "benign", "hard": True,
     "text": "住房和城乡建设部办公厅关于开展工程建设领域专业技术人员职业资格“挂证”等违法违规行为"
             "专项整治的通知：严厉打击“人证分离”“挂证”行为，对违规人员依法撤销注册。"},
    {"id": "b3", "label": "benign", "hard": True,
     "text": "警惕！有广告称“二建挂证年薪3万、不用到岗、社保不限”，这是违法行为，请勿上当。"},
    {"id": "b4", "label": "benign", "hard": True, "title": "二级建造师教材出售",
     "text": "全套正版二级建造师考试教材，市政专业，九成新，包邮。"},
]


@pytest.fixture(scope="module")
def labelled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("evaluate") / "labelled.jsonl"
    # A blank line too: skipped, as in the corpus files.
    lines = [json.dumps(ex, ensure_ascii=False) for ex in EXAMPLES]
    path.write_text("\n".join(lines[:3] + [""] + lines[3:]) + "\n", "utf-8")
    return path


@pytest.fixture(scope="module")
def predicted(labelled: Path) -> list[str]:
    """The label `certwatch classify` gives each example: what evaluate must be measuring."""
    stdin = "".join(json.dumps({"id": ex["id"], "title": ex.get("title", ""), "text": ex["text"]},
                               ensure_ascii=False) + "\n" for ex in EXAMPLES)
    out = certwatch("classify", home=labelled.parent, stdin=stdin).stdout
    verdicts = [json.loads(line) for line in out.splitlines()]
    assert [v["id"] for v in verdicts] == [ex["id"] for ex in EXAMPLES]
    return [v["label"] for v in verdicts]


def expected_figures(predicted: list[str]) -> dict:
    truth = [ex["label"] for ex in EXAMPLES]
    confusion = [[sum(t == row and p == col for t, p in zip(truth, predicted, strict=True))
                  for col in LABELS] for row in LABELS]
    per_class = {}
    for i, label in enumerate(LABELS):
        hit = confusion[i][i]
        said = sum(confusion[r][i] for r in range(len(LABELS)))
        support = sum(confusion[i])
        precision = hit / said if said else 0.0
        recall = hit / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {"precision": precision, "recall": recall, "f1": f1,
                            "support": support}
    obfuscated = [p == ex["label"] for ex, p in zip(EXAMPLES, predicted, strict=True)
                  if ex.get("obfuscated") and ex["label"] != "benign"]
    hard = [p != "benign" for ex, p in zip(EXAMPLES, predicted, strict=True)
            if ex.get("hard") and ex["label"] == "benign"]
    return {"n": len(EXAMPLES), "confusion": confusion, "per_class": per_class,
            "obfuscated_recall": sum(obfuscated) / len(obfuscated),
            "obfuscated_n": len(obfuscated),
            "hard_benign_fpr": sum(hard) / len(hard), "hard_benign_n": len(hard)}


def test_json_report_has_the_figures_of_the_verdicts(labelled: Path,
                                                     predicted: list[str]) -> None:
    want = expected_figures(predicted)
    got = json.loads(certwatch("evaluate", "--json", str(labelled),
                               home=labelled.parent).stdout)
    assert set(got) >= {"n", "per_class", "macro_f1", "confusion", "obfuscated_recall",
                        "obfuscated_n", "hard_benign_fpr", "hard_benign_n", "ece"}
    assert (got["n"], got["obfuscated_n"], got["hard_benign_n"]) == (len(EXAMPLES), 4, 3)
    assert got["confusion"] == want["confusion"]
    assert set(got["per_class"]) == set(LABELS)
    for label, figures in want["per_class"].items():
        for name, value in figures.items():
            assert got["per_class"][label][name] == pytest.approx(value, abs=1e-4), \
                (label, name)
    assert got["obfuscated_recall"] == pytest.approx(want["obfuscated_recall"], abs=1e-4)
    assert got["hard_benign_fpr"] == pytest.approx(want["hard_benign_fpr"], abs=1e-4)
    f1s = [f["f1"] for f in want["per_class"].values()]
    assert got["macro_f1"] == pytest.approx(sum(f1s) / len(f1s), abs=1e-4)
    assert 0.0 <= got["ece"] <= 1.0


def test_text_report_lines(labelled: Path, predicted: list[str]) -> None:
    want = expected_figures(predicted)
    out = certwatch("evaluate", str(labelled), home=labelled.parent).stdout
    lines = out.splitlines()
    assert lines[0].split() == ["label", "precision", "recall", "f1", "support"]
    for label in LABELS:
        row = next(line for line in lines if line.split()[:1] == [label])
        figures = want["per_class"][label]
        assert [float(x) for x in row.split()[1:4]] == pytest.approx(
            [figures["precision"], figures["recall"], figures["f1"]], abs=6e-4), row
        assert int(row.split()[4]) == figures["support"]
    obf = re.search(r"^recall on obfuscated fraud: ([\d.]+) \((\d+) items\)$", out, re.M)
    assert obf and float(obf[1]) == pytest.approx(want["obfuscated_recall"], abs=6e-4)
    assert int(obf[2]) == want["obfuscated_n"]
    hard = re.search(r"^false positives on hard benign: ([\d.]+) \((\d+) items\)$", out, re.M)
    assert hard and float(hard[1]) == pytest.approx(want["hard_benign_fpr"], abs=6e-4)
    assert int(hard[2]) == want["hard_benign_n"]
    start = lines.index("confusion (rows: truth, columns: predicted)")
    assert [label[:9] for label in LABELS] == lines[start + 1].split()
    rows = lines[start + 2:start + 2 + len(LABELS)]
    for label, row, line in zip(LABELS, want["confusion"], rows, strict=True):
        assert line.split() == [label, *map(str, row)]


@pytest.mark.parametrize(("content", "line", "message"), [
    (b'{"id": "a", "label": "benign", "text": "x"}\n\n{"id": "b", "label": "benign"\n', 3,
     "not valid JSON"),
    (b'{"id": "a", "label": "benign", "text": "x"}\n{"id": "b", "label": "maybe", '
     b'"text": "x"}\n', 2, "label 'maybe' is not one of"),
    (b'{"id": "a", "label": "benign", "text": ""}\n', 1, "field 'text' must be a non-empty"),
    (b'{"id": "a", "label": "benign", "text": "x"}\n{"id": "b", "label": "benign", '
     b'"text": "\xff\xfe"}\n', 2, "not valid UTF-8"),
])
def test_malformed_line_is_one_error_naming_file_and_line(tmp_path: Path, content: bytes,
                                                          line: int, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(content)
    proc = certwatch("evaluate", str(path), home=tmp_path, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"certwatch: error: {path}:{line}: "), proc.stderr
    assert message in proc.stderr and proc.stderr.count("\n") == 1


def test_empty_file_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"\n \n")
    proc = certwatch("evaluate", str(path), home=tmp_path, check=False)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(f"certwatch: error: {path}: no labelled examples")
    assert proc.stderr.count("\n") == 1
