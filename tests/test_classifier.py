"""The classifier: corpus rules, held-out quality, honest artifacts, reasons, the CLI contract."""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer

from classifiers.corpus import LABELS, Example, describe, load_corpus, split
from classifiers.errors import ModelUnavailable
from classifiers.evaluate import evaluate
from classifiers.model import CALIBRATION, FRAUD_THRESHOLD, METADATA, load, model_dir
from classifiers.scoring import Classifier
from tests.conftest import certwatch

# Written for this test in the style of the crackdown notices (not copied from them): full of
# the words fraud uses, and all benign.
NOTICE_STYLE = [
    "关于开展建筑市场“挂证”等违法违规行为专项整治的通知\n各区县住房城乡建设局、人力资源社会保障局："
    "为规范注册执业行为，决定在全市开展专项整治。一、整治范围：取得一级建造师、注册建筑师、"
    "监理工程师等注册证书，但注册单位与实际工作单位不一致、社会保险缴纳单位不一致的人员。"
    "二、工作要求：对存在挂证行为的人员依法撤销注册，三年内不得再次注册。",
    "市住建局通报：近期我局查处3家企业使用假冒特种作业操作证人员上岗作业，相关证书经应急管理部"
    "官网查询均无记录。提醒施工企业通过官方平台核验证书，不要轻信“免考”“官网可查”等网络广告。",
    "关于打击假冒特种作业操作证专项治理行动实施方案。工作目标：依法查处持假冒证件上岗作业行为，"
    "严厉打击假冒监管网站及通过网络制假售假行为。对发现的假冒网站线索移交网信部门处理。",
    "安全生产资格证书涉假专项治理工作方案：全链条查处制假、售假、买假、用假、虚假营销等违法犯罪"
    "行为，惩治一批假冒政府网站平台的团伙，淘汰一批培训考试弄虚作假、承诺“包过”的机构。",
    "各培训机构不得以“免考、速成、包过”等虚假宣传招揽学员，一经查实，由市场监管部门依法处理。",
    "自治区住房和城乡建设厅 人力资源和社会保障厅关于开展注册人员“人证分离”问题排查的通知："
    "请各盟市于12月底前完成本地区注册人员社保缴纳情况比对，形成汇总表报送。",
    "省人社厅提醒：证书挂靠属于违法行为，个人出借证书将被记入不良信用记录，情节严重的撤销注册。",
    "警方提示：网上自称“内部渠道、不用考试直接拿证”的均为诈骗或制售假证，请拨打110或12345举报。",
]


# The audit's probes (issue 3, finding A): short ads written to slip past keyword filters, a
# bare contact and a traditional-character exam ad. Neither they nor paraphrases of them are in
# the corpus (every corpus round is checked against them), so they check the model from
# outside. Expected: the label, or the set of labels a fair reader could give.
AUDIT_PROBES = [
    ("挂证，不用到岗", {"guazheng"}),
    ("一建挂证 年薪4万", {"guazheng"}),
    ("包*过！免-考！电工证", {"exam_fraud", "fake_cert"}),  # pass promise or forged card
    ("baoguo 安全员C证", {"exam_fraud"}),
    ("二J 挂 证 年3w", {"guazheng"}),
    ("掛證 一建 社保不限", {"guazheng"}),
    ("QQ 2876533391", {"benign"}),  # a contact alone is no evidence
    ("包過 一級建造師", {"exam_fraud"}),
]
# Held-out calibration error of the risk score the model must stay under (measured: README
# "Quality").
HELDOUT_ECE_LIMIT = 0.04
# The held-out targets (README "Quality": on the split of the 15,132-example corpus
# macro-F1 0.955, obfuscated recall 0.922, hard-benign false positives 0.019).
TARGET_MACRO_F1 = 0.95
TARGET_OBFUSCATED_RECALL = 0.90
TARGET_HARD_FPR = 0.03


@pytest.fixture(scope="module")
def corpus():
    return load_corpus()


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.load()


def test_corpus_meets_the_documented_minimums(corpus) -> None:
    counts = describe(corpus)
    assert counts["total"] >= 2000
    for label in ("guazheng", "fake_cert", "exam_fraud"):
        assert counts["by_label"][label] >= 300, label
    assert counts["by_label"]["benign"] >= 800
    assert counts["hard_benign"] * 2 >= counts["by_label"]["benign"]


def _jaccard(left: list[str], right: list[str], n: int) -> np.ndarray:
    """Character n-gram Jaccard of every left text against every right text."""
    x = CountVectorizer(analyzer="char", ngram_range=(n, n), binary=True).fit_transform(
        left + right)
    a, b = x[: len(left)], x[len(left):]
    inter = (a @ b.T).toarray()
    sizes_a = np.asarray(a.sum(axis=1)).ravel()
    sizes_b = np.asarray(b.sum(axis=1)).ravel()
    return inter / (sizes_a[:, None] + sizes_b[None, :] - inter)


def _plain(ex: Example) -> str:
    return " ".join(ex.full_text.split())


def test_no_near_duplicates_across_the_split(corpus) -> None:
    """Independent of the splitter's own shingling: 3-grams, a stricter threshold."""
    train, heldout = split(corpus)
    assert heldout and len(heldout) + len(train) == len(corpus)
    jaccard = _jaccard([_plain(ex) for ex in heldout], [_plain(ex) for ex in train], 3)
    i, j = np.unravel_index(np.argmax(jaccard), jaccard.shape)
    assert jaccard[i, j] < 0.6, (heldout[i].id, train[j].id, float(jaccard[i, j]))


def test_outside_checks_are_not_in_the_corpus(corpus) -> None:
    """The probes and notice-style texts test the model from outside: no corpus text may
    contain or nearly repeat one."""
    texts = [_plain(ex) for ex in corpus]

    def squeeze(text: str) -> str:
        return re.sub(r"\s", "", unicodedata.normalize("NFKC", text).lower())

    bare = [squeeze(t) for t in texts]
    probes = [text for text, _ in AUDIT_PROBES]
    for probe in probes:
        assert not any(squeeze(probe) in t for t in bare), probe
    assert _jaccard(probes, texts, 2).max() < 0.5
    assert _jaccard(NOTICE_STYLE, texts, 4).max() < 0.3


@pytest.fixture(scope="module")
def heldout_report(corpus, classifier: Classifier):
    return evaluate(classifier, split(corpus)[1])


def test_heldout_quality(heldout_report) -> None:
    report = heldout_report
    assert report.macro_f1 >= TARGET_MACRO_F1, report
    assert report.obfuscated_recall >= TARGET_OBFUSCATED_RECALL, report
    assert report.hard_benign_fpr <= TARGET_HARD_FPR, report


def test_heldout_calibration(heldout_report) -> None:
    assert heldout_report.ece <= HELDOUT_ECE_LIMIT, heldout_report


@pytest.mark.parametrize(("text", "expected"), AUDIT_PROBES)
def test_audit_probes(classifier: Classifier, text: str, expected: set[str]) -> None:
    verdict = classifier.classify(text)
    assert verdict.label in expected, (verdict.label, verdict.scores)


def test_installed_model_follows_its_cross_validation() -> None:
    """FRAUD_THRESHOLD and CALIBRATION are what `certwatch train --cv` chose; the training
    that built the installed model re-ran the folds and must still agree with them."""
    meta = json.loads((model_dir() / METADATA).read_text("utf-8"))
    cv = meta["cv"]
    assert cv["recommended_threshold"] == pytest.approx(FRAUD_THRESHOLD), cv["sweep"]
    assert cv["best_calibration"] == CALIBRATION, cv["ece"]
    assert meta["params"]["calibration"] == CALIBRATION
    assert meta["params"]["fraud_threshold"] == pytest.approx(FRAUD_THRESHOLD)


@pytest.mark.parametrize("text", NOTICE_STYLE)
def test_notices_and_news_are_benign(classifier: Classifier, text: str) -> None:
    verdict = classifier.classify(text)
    assert verdict.label == "benign", (verdict.label, verdict.scores)


def test_reasons_point_into_the_original_text(classifier: Classifier) -> None:
    title = "高薪誠聘 二J 市政"
    text = "掛 證 一年3萬，不用到崗，社保不限。V信：gz_8821"
    verdict = classifier.classify(text, title)
    assert verdict.label == "guazheng" and verdict.score > 0.5
    assert verdict.reasons
    for reason in verdict.reasons:
        source = title if reason.field == "title" else text
        assert source[reason.start:reason.end] == reason.text
        assert reason.weight > 0
    # Spans are the writer's own characters (traditional, spaced), not the folded text.
    assert any(set(r.text) & set("掛證萬崗誠") for r in verdict.reasons)
    assert sorted(verdict.scores) == sorted(LABELS)
    assert abs(sum(verdict.scores.values()) - 1) < 0.01
    assert verdict.score == pytest.approx(1 - verdict.scores["benign"], abs=1e-3)


def test_same_contact_written_differently_is_one_key(classifier: Classifier) -> None:
    a = classifier.classify("二建挂靠，年费2万，电话 138-1234-5678")
    b = classifier.classify("出证快，联系：一三八 一二三四 五六七八")
    keys_a = {c["key"] for c in a.attributes["contacts"]}
    keys_b = {c["key"] for c in b.attributes["contacts"]}
    assert "mobile:13812345678" in keys_a & keys_b


def test_model_refuses_mismatched_metadata(tmp_path: Path) -> None:
    copy = tmp_path / "model"
    shutil.copytree(model_dir(), copy)
    load(copy)  # the pristine copy loads
    meta = json.loads((copy / METADATA).read_text("utf-8"))
    meta["environment"]["sklearn"] = "0.0.1"
    (copy / METADATA).write_text(json.dumps(meta), "utf-8")
    with pytest.raises(ModelUnavailable, match="sklearn 0.0.1 at training"):
        load(copy)
    shutil.copytree(model_dir(), tmp_path / "torn")
    with (tmp_path / "torn" / "model.joblib").open("ab") as fh:
        fh.write(b"\0")
    with pytest.raises(ModelUnavailable, match="SHA-256 does not match"):
        load(tmp_path / "torn")
    with pytest.raises(ModelUnavailable, match="training corpus has changed"):
        load(model_dir(), corpus_sha256="0" * 64)
    for junk in ("[1, 2]", "null", '{"environment": "x"}'):
        (copy / METADATA).write_text(junk, "utf-8")
        with pytest.raises(ModelUnavailable, match="not a JSON object"):
            load(copy)


def test_classify_cli_contract(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": 1, "text": "二建市政挂证，年薪3万，社保不限"}, ensure_ascii=False),
        "{not json",
        json.dumps({"id": "b", "title": "诚聘施工员", "text": "需驻场，五险一金"},
                   ensure_ascii=False),
        json.dumps({"text": "no id"}),
        json.dumps({"id": 5, "text": ["not", "text"]}),
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", "utf-8")
    proc = certwatch("classify", str(src), home=tmp_path, check=False)
    assert proc.returncode == 2
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o.get("id", o.get("line")) for o in out] == [1, 2, "b", 4, 5]
    assert [o["line"] for o in out if "error" in o] == [2, 4, 5]
    ok = out[0]
    assert set(ok) == {"id", "label", "score", "scores", "reasons", "attributes"}
    assert ok["label"] in LABELS and 0 <= ok["score"] <= 1
    assert set(ok["attributes"]) >= {"certificates", "contacts", "price", "region"}
    assert {"text", "start", "end", "weight"} <= set(ok["reasons"][0])
    stdin = certwatch("classify", home=tmp_path, check=False)  # empty stdin: nothing, exit 0
    assert stdin.returncode == 0 and stdin.stdout == ""


# Two full trainings: minutes on a busy shared machine. The suite-wide 300 s timeout is
# there to catch hangs, not to time this.
@pytest.mark.timeout(1200)
def test_training_is_reproducible_and_learns_from_reviews(tmp_path: Path) -> None:
    """`certwatch train --with-reviews` into a scratch model dir: same corpus → same model
    when there are no reviews; a stored analyst decision joins the training side."""
    from datetime import UTC, datetime

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from store.bodies import BodyStore
    from store.db import open_store
    from store.models import Listing, Review
    from store.recorder import ListingData, RunRecorder

    env = {"CERTWATCH_MODEL_DIR": str(tmp_path / "model")}
    certwatch("train", home=tmp_path, env=env)
    assert load(tmp_path / "model").version == load(model_dir()).version

    engine = open_store(f"sqlite:///{tmp_path / 'certwatch.db'}")
    now = datetime.now(UTC)
    recorder = RunRecorder(engine, BodyStore(tmp_path / "bodies"), "jobs", batch="t")
    recorder.start()
    recorder.add_listing(ListingData(key="1", url="http://x.cn/1", title="诚聘",
                                     text="只要你的章，每年给点辛苦费", seen_at=now))
    recorder.finish(status="finished", close_reason="finished", complete=True, stats={})
    with Session(engine) as session, session.begin():
        listing_id = session.scalar(select(Listing.id))
        session.add(Review(listing_id=listing_id, label="guazheng", analyst="王分析",
                           decided_at=now))
    proc = certwatch("train", "--with-reviews", home=tmp_path, env=env)
    assert "with 1 analyst-reviewed listing(s)" in proc.stderr
    meta = json.loads((tmp_path / "model" / METADATA).read_text("utf-8"))
    assert meta["counts"]["reviews"] == 1
    assert meta["heldout_metrics"]["macro_f1"] >= TARGET_MACRO_F1
