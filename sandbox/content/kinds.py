"""Registry of content kinds: name -> (label, writer). One writer per kind, picked by name."""

from __future__ import annotations

from collections.abc import Callable

from sandbox.content import exam_fraud, fake_cert, goods, guazheng, honest_ads, talk
from sandbox.content.draft import Draft
from sandbox.content.pen import Pen

Writer = Callable[[Pen, bool], Draft]

KINDS: dict[str, tuple[str, Writer]] = {
    "guazheng_offer": ("guazheng", guazheng.offer),
    "guazheng_seek": ("guazheng", guazheng.seek),
    "guazheng_broker": ("guazheng", guazheng.broker),
    "fake_cert_sale": ("fake_cert", fake_cert.sale),
    "fake_cert_agent": ("fake_cert", fake_cert.agent),
    "exam_baoguo": ("exam_fraud", exam_fraud.baoguo),
    "exam_proxy": ("exam_fraud", exam_fraud.proxy),
    "exam_leak": ("exam_fraud", exam_fraud.leak),
    "onsite_job": ("benign", honest_ads.onsite_job),
    "safety_recruit": ("benign", honest_ads.safety_recruit),
    "training_honest": ("benign", honest_ads.training_honest),
    "question": ("benign", talk.question),
    "complaint": ("benign", talk.complaint),
    "warning": ("benign", talk.warning),
    "news": ("benign", talk.news),
    "notice": ("benign", talk.notice),
    "textbook": ("benign", goods.textbook),
    "used_goods": ("benign", goods.used_goods),
}

DISGUISE_RATE = 0.42  # share of fraud written to evade filters (GUIDE.md §1)


def write(kind: str, pen: Pen) -> Draft:
    label, writer = KINDS[kind]
    disguised = label != "benign" and pen.chance(DISGUISE_RATE)
    draft = writer(pen, disguised)
    assert draft.label == label and draft.kind == kind, (kind, draft.kind)
    return draft
