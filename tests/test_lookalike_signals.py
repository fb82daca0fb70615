"""The page side's pure parts: perceptual hashes, similarity, ICP claims, form fields, canary."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from certwatch.errors import UserError
from classifiers.lookalike import canary, emblems, fingerprint, forms, icp, perceptual, similarity
from sandbox.render.emblem import emblem_png, logo_png
from sandbox.render.gov import COPY_ICP, OFFICIAL_ICP


def _jpeg(png: bytes, size: int) -> bytes:
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image)
    out = io.BytesIO()
    flat.resize((size, size)).save(out, "JPEG", quality=70)
    return out.getvalue()


def test_emblem_survives_resizing_and_recompression_but_a_logo_does_not_match() -> None:
    official = perceptual.hashes(emblem_png(96))
    variants = [perceptual.hashes(emblem_png(72)), perceptual.hashes(_jpeg(emblem_png(), 150))]
    for variant in variants:
        match = emblems.best_match([{"src": "x", **variant}], [{"src": "ref", **official}])
        assert match is not None and match.matched, match
    logo = perceptual.hashes(logo_png())
    assert perceptual.distance(official["phash"], logo["phash"]) > emblems.NOT_FAR
    assert perceptual.distance(official["dhash"], logo["dhash"]) > emblems.NOT_FAR
    match = emblems.best_match([{"src": "a", **logo}, {"src": "b", **variants[0]}],
                               [{"src": "ref", **official}])
    assert match is not None and match.src == "b" and match.matched


def test_unreadable_image_is_a_clear_error() -> None:
    with pytest.raises(perceptual.ImageUnreadable):
        perceptual.hashes(b"<html>not an image</html>")


def test_text_and_title_similarity() -> None:
    official = similarity.shingles("全国工程质量安全监管信息平台 证书查询 安全生产考核合格证书")
    assert similarity.containment(official, official) == 1.0
    near = similarity.shingles("全国工程质量安全监管信息平台，证书查询！安全生产考核合格证书 客服")
    assert similarity.containment(near, official) > 0.9  # punctuation and extras do not matter
    other = similarity.shingles("华夏建培教育 二级建造师考前培训 在线报名")
    assert similarity.containment(other, official) < 0.1
    titles = ["全国工程质量安全监管信息平台", "证书查询-全国工程质量安全监管信息平台"]
    assert similarity.title_similarity("证书查询-全国工程质量安全监管信息平台", titles) == 1.0
    assert similarity.title_similarity("华夏建培教育", titles) < 0.3
    assert similarity.title_similarity("", titles) == 0.0


def test_icp_claims_and_comparison() -> None:
    official = icp.claims("　".join(OFFICIAL_ICP))
    assert official.icp == ("京ICP备05005012号-3",)
    assert official.gongan == ("京公网安备11010802030155号",)
    assert icp.compare(icp.claims(" ".join(COPY_ICP)), official) == icp.ALTERED
    assert icp.compare(official, official) == icp.SAME
    assert icp.compare(icp.claims("苏ICP备2021047718号-1"), official) == icp.OTHER
    assert icp.compare(icp.claims("Copyright 2026"), official) == icp.MISSING
    assert icp.claims("粤 ICP 证 123456 号").icp == ("粤ICP证123456号",)


def field(label: str = "", name: str = "", placeholder: str = "", type_: str = "") -> dict:
    return {"tag": "input", "type": type_, "name": name, "id": "", "label": label,
            "placeholder": placeholder, "aria": ""}


def test_form_fields_are_recognised_by_words_not_only_names() -> None:
    assert forms.field_kind(field(label="证书编号")) == forms.CERT_NUMBER
    assert forms.field_kind(field(name="q1", placeholder="请输入证书编号")) == forms.CERT_NUMBER
    assert forms.field_kind(field(name="sfzh")) == forms.ID_NUMBER
    assert forms.field_kind(field(label="证件号码")) == forms.ID_NUMBER
    assert forms.field_kind(field(label="姓　　名", name="xm")) == forms.PERSON_NAME
    assert forms.field_kind(field(label="验证码")) == forms.CAPTCHA
    assert forms.field_kind(field(label="培训证明编号", name="pxbh")) is None
    assert forms.field_kind(field(label="证书编号", type_="checkbox")) is None
    enrol = {"index": 0, "fields": [field(label="姓名"), field(label="手机号")]}
    query = {"index": 1, "fields": [field(label="身份证号"), field(label="证书编号")]}
    assert not forms.is_query_form(enrol) and forms.query_form([enrol, query]) is query
    assert forms.summary([enrol, query]) == [["name", "phone"], ["cert_number", "id_number"]]


def test_canary_cannot_exist() -> None:
    for token in range(200):
        c = canary.make_canary(token)
        year = int(c.cert_number.split("(")[1][:4])
        assert year < canary.SCHEME_START_YEAR
        assert c.id_number[10:14] == "0230"  # 30 February
        assert canary.id_check_digit(c.id_number[:17]) != c.id_number[17]
        assert len(c.id_number) == 18 and c.why
    assert canary.make_canary(7) == canary.make_canary(7)
    assert canary.make_canary() != canary.make_canary()  # fresh per probe
    # A real ID number passes the same check (so the check itself is right).
    assert canary.id_check_digit("11010519491231002") == "X"


def test_canary_answers_are_read_from_what_the_submission_added() -> None:
    before = "证书查询\n说明：证书有效期至以证书为准"
    assert canary.classify_answer(canary.added_lines(before, before + "\n未查询到相关证书信息")) \
        == canary.NOT_FOUND
    assert canary.classify_answer(canary.added_lines(before, before + "\n证书有效\n姓名 王")) \
        == canary.VALID
    assert canary.classify_answer(canary.added_lines(before, before)) == canary.UNCLEAR


PROBE = canary.make_canary(11)

# What fake query sites answer to an impossible certificate: a validity statement or a
# rendered record, often wrapped in customer-service boilerplate that mentions 有误 or 查无.
FAKE_ANSWERS = [
    "证书有效\n证书编号：{cert}\n姓名：王晓明\n发证机关：四川省住房和城乡建设厅\n"
    "如信息有误请联系客服（微信同号）",
    "查询结果\n证书状态：正常\n持证人：王晓明\n如查无此证请核对证书编号后重新查询",
    "证书状态：正常",
    "证书编号\t{cert}\n姓名\t李伟\n证书状态\n正常\n有效期至\t2027-12-31",
    "考核结论：合格。若信息不一致，请与发证机关联系。",
    "该人员已注册，注册单位：四川某建设工程有限公司",
    "验证通过！本证书全国联网可查，查无此证全额退款",
    "证书编号 {cert}\n姓 名 王晓明\n证书类别 建筑施工特种作业（建筑电工）\n发证日期 2019-05-06",
    "温馨提示：如查询不到，可能是数据尚未同步\n证书状态为有效",
]
# What registries answer: a plain "no record", sometimes echoing the query.
GENUINE_ANSWERS = [
    "查询结果\n未查询到相关证书信息\n重新查询",
    "未查询到符合条件的证书信息，请核对后重新输入",
    "查无此证书信息请核对证书编号",
    "对不起，没有找到符合条件的记录！如有疑问请咨询发证机关。",
    "您查询的证书编号：{cert}，姓名：王晓明，未查询到相关信息",
    "证书编号与身份证号不一致。证书有效性请以发证机关公布的信息为准",
    "提示：无此证书记录",
]


@pytest.mark.parametrize("answer", FAKE_ANSWERS)
def test_a_fake_answer_is_valid_whatever_boilerplate_surrounds_it(answer: str) -> None:
    assert canary.classify_answer(answer.format(cert=PROBE.cert_number), PROBE) \
        == canary.VALID


@pytest.mark.parametrize("answer", GENUINE_ANSWERS)
def test_a_registry_answer_is_not_found(answer: str) -> None:
    assert canary.classify_answer(answer.format(cert=PROBE.cert_number), PROBE) \
        == canary.NOT_FOUND


def test_answers_that_say_neither_or_both_are_unclear() -> None:
    assert canary.classify_answer("系统繁忙，请稍后再试", PROBE) == canary.UNCLEAR
    assert canary.classify_answer("如证书有效，将在下方显示证书信息", PROBE) == canary.UNCLEAR
    # A record of some OTHER number is not a record of the canary.
    assert canary.classify_answer("证书编号 皖建安C(2021)0012345\n姓名 王建国", PROBE) \
        == canary.UNCLEAR
    # Contradicting itself, an answer proves nothing either way.
    assert canary.classify_answer("证书有效\n未查询到相关证书信息", PROBE) == canary.UNCLEAR


def test_fingerprint_round_trip_and_a_damaged_file(tmp_path) -> None:  # noqa: ANN001
    fp = fingerprint.Fingerprint("zlaq.mohurd.gov.cn", "2026-12-07T00:00:00Z", ["http://x/"],
                                 ["全国工程质量安全监管信息平台"], {1, 2, 3}, [["cert_number"]],
                                 [{"src": "e.png", "phash": "00ff", "dhash": "ff00"}],
                                 icp.Claims(("京ICP备05005012号-3",), ()))
    fingerprint.save(tmp_path, fp)
    assert fingerprint.load_all(tmp_path)["zlaq.mohurd.gov.cn"].as_json() == fp.as_json()
    fingerprint.path_for(tmp_path, "broken.gov.cn").write_text("{not json", "utf-8")
    with pytest.raises(fingerprint.FingerprintError) as caught:
        fingerprint.load_all(tmp_path)
    assert isinstance(caught.value, UserError) and "--refresh-fingerprints" in str(caught.value)
