"""classifiers.augment: every trick is undone by the normaliser; output is deterministic."""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

from classifiers.augment import TRICKS, augment
from classifiers.normalize import normalize

SAMPLES = [
    "急招二建挂证，一年3万，不用到岗，社保不限。有意者加微信详谈，电话13812345678。",
    "一建机电初始证书求挂靠，价格私聊，QQ 287653391，微信同号 13912345678",
    "特种作业操作证、电工证、焊工证，不用考试直接拿证，全国联网可查，包过免考！",
    "安全员C证包过，三类人员速成班，不过退费，报名电话：15800001111",
    "本校二级建造师培训，考试须本人参加，不承诺包过，咨询电话 021-12345678。",
    "出二建市政挂证，一年两万，社保不限，联系13612345678或扣扣",
    "收一建建筑，人证分离，证书兼职即可，加微信：jzs_2025",
    "免考拿证，代考包过，内部渠道，微信13700001234",
    "",
    "no chinese here, just a number 13812345678 and vx",
]
KEYS = ("挂证", "包过", "免考", "代考", "微信", "qq", "二建", "一建", "证书", "安全员", "挂靠",
        "社保", "考试", "电工证", "焊工证", "兼职", "人证分离")
_PHONE = re.compile(r"1[3-9][0-9]{9}")


def key_tokens(text: str) -> set[str]:
    norm = normalize(text).text
    return {k for k in KEYS if k in norm} | set(_PHONE.findall(norm))


@pytest.mark.parametrize("name", sorted(TRICKS))
def test_each_trick_is_undone_by_the_normaliser(name: str) -> None:
    changed = 0
    for seed in range(25):
        for text in SAMPLES:
            out = TRICKS[name](text, random.Random(seed))
            changed += out != text
            missing = key_tokens(text) - key_tokens(out)
            assert not missing, (name, seed, text, out, missing)
    assert changed, f"{name} never changed any sample"


@pytest.mark.parametrize("n_tricks", [1, 2, 3, len(TRICKS)])
def test_augmented_text_keeps_its_key_tokens(n_tricks: int) -> None:
    rng = random.Random(20261122)
    for _ in range(20):
        for text in SAMPLES:
            out = augment(text, rng, n_tricks=n_tricks)
            missing = key_tokens(text) - key_tokens(out)
            assert not missing, (text, out, missing)


def test_augment_is_deterministic_and_varied() -> None:
    text = SAMPLES[0]
    first = [augment(text, random.Random(5)) for _ in range(3)]
    assert first[0] == first[1] == first[2]
    outputs = {augment(text, random.Random(seed)) for seed in range(30)}
    assert len(outputs) > 20
    assert all(o != text for o in outputs)


def test_augment_does_not_depend_on_hash_seeds() -> None:
    """Training must be reproducible across processes: no set/dict-order leaks into output."""
    code = ("import random; from classifiers.augment import augment; r = random.Random(42); "
            f"print(repr([augment(t, r, 3) for t in {SAMPLES!r} * 5]))")
    outputs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              check=True, cwd=Path(__file__).resolve().parent.parent,
                              env={**os.environ, "PYTHONHASHSEED": seed}).stdout
               for seed in ("1", "2")}
    assert len(outputs) == 1


def test_augment_edge_cases() -> None:
    rng = random.Random(0)
    assert augment("", rng) == ""
    assert augment(SAMPLES[0], rng, n_tricks=0) == SAMPLES[0]
    assert augment("plain words", rng, n_tricks=50)  # more tricks than exist: all of them


def test_tricks_write_the_forms_they_claim() -> None:
    rng = random.Random(1)
    assert re.search(r"[掛證]", TRICKS["traditional"]("挂证", rng))
    assert re.search(r"[①-⑨⓪❶-❾➀-➈➊-➒⓵-⓽⓿🄋🄌⑴-⑼]", TRICKS["circled_digits"]("138", rng))
    assert re.search(r"[ｖｘ１]", TRICKS["fullwidth"]("vx1", rng))
    assert "\n" in TRICKS["split_phone"]("电话13812345678", random.Random(2)) or re.search(
        r"138\D+1234\D+5678", TRICKS["split_phone"]("电话13812345678", random.Random(2)))
    spelled = TRICKS["chinese_numeral_phone"]("电话13812345678", rng)
    assert not re.search(r"[0-9]", spelled) and normalize(spelled).text == "电话13812345678"
    assert TRICKS["homophones"]("挂证", rng) != "挂证"
    assert re.search(r"[a-zA-Z]", TRICKS["pinyin"]("挂证", rng))
