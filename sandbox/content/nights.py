"""Night n+1 is night n mutated: some listings removed, some edited, some new (newest first)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from sandbox.content.catalog import SPECS, first_night, fresh_key, make_post, night_close, site_pen
from sandbox.content.contacts import hidden_contact, plain_contact
from sandbox.content.pen import Pen
from sandbox.content.prices import nudge
from sandbox.listing import Post

REMOVE_RATE = 0.04
EDIT_RATE = 0.06
NEW_RATE = 0.05

# A sentence an advertiser swaps in when touching up an ad.
EDIT_LINES: dict[str, tuple[str, ...]] = {
    "guazheng": (
        "本周内定下来的再加两千。",
        "名额还剩一个，抓紧。",
        "价格已调整，以电话沟通为准。",
        "转注的也可以谈，流程我们熟。",
    ),
    "fake_cert": (
        "最近风声紧，只接熟人介绍。",
        "本周出得快，三天左右到。",
        "老客户回头再优惠五十。",
    ),
    "exam_fraud": ("新一期已开始报名。", "本期名额已满，下期预约中。", "考期临近，资料最后一批。"),
    "benign": (
        "补充：人已招到会及时删帖。",
        "更新：报名截止时间顺延一周。",
        "（已编辑，改了几个错别字）",
        "补充一下，问题已经解决了，谢谢大家。",
    ),
}


@dataclass(frozen=True)
class NightState:
    seed: int
    night: int
    posts: dict[str, tuple[Post, ...]]  # site -> posts, newest first
    used_keys: dict[str, frozenset[str]]  # every key ever issued per site (never reused)
    removed: tuple[Post, ...] = ()  # versus the previous night
    edited: tuple[Post, ...] = ()
    added: tuple[Post, ...] = ()


def _newest_first(posts: list[Post]) -> tuple[Post, ...]:
    return tuple(sorted(posts, key=lambda p: (-p.when.timestamp(), p.truth.key)))


def _edit(pen: Pen, post: Post) -> Post:
    truth = post.truth
    choices = ["text"] + (["price"] if truth.price else []) + (["contact"] if truth.contact else [])
    what = pen.pick(choices)
    changes: dict[str, str | None] = {}
    if what == "price" and truth.price:
        new_price = nudge(pen, truth.price)
        changes = {"price": new_price, "text": truth.text.replace(truth.price, new_price)}
    elif what == "contact" and truth.contact:
        contact = None
        while contact is None or len(contact.in_text) > 1:
            contact = (
                hidden_contact(pen)
                if truth.obfuscated
                else plain_contact(pen, post.person, (truth.region or "安徽·").split("·")[0])
            )
        changes = {
            "contact": contact.display,
            "text": truth.text.replace(truth.contact, contact.display),
        }
    else:
        lines = post.lines
        # Never overwrite the line carrying the contact; prepend if that is all there is.
        free = [i for i, line in enumerate(lines) if not (truth.contact and truth.contact in line)]
        sentence = pen.pick(EDIT_LINES[truth.label])
        if free:
            lines[pen.pick(free)] = sentence
        else:
            lines.insert(0, sentence)
        changes = {"text": "\n".join(lines)}
    if post.special == "xss":
        changes.pop("text", None)  # keep the hostile markup anchors intact
    return dataclasses.replace(post, truth=dataclasses.replace(truth, **changes))


def _mutate(prev: NightState) -> NightState:
    night = prev.night + 1
    posts: dict[str, tuple[Post, ...]] = {}
    used_keys: dict[str, frozenset[str]] = {}
    removed: list[Post] = []
    edited: list[Post] = []
    added: list[Post] = []
    for site, spec in SPECS.items():
        pen = site_pen(prev.seed, site, night)
        current = list(prev.posts[site])
        # Hostile corners stay put so the traps and rate limits are always there.
        eligible = [i for i, p in enumerate(current) if not p.special]
        drop = set(pen.rng.sample(eligible, round(len(eligible) * REMOVE_RATE)))
        removed += [current[i] for i in sorted(drop)]
        keep = [i for i in range(len(current)) if i not in drop]
        touch = set(pen.rng.sample(keep, round(len(keep) * EDIT_RATE)))
        survivors = []
        for i in keep:
            post = _edit(pen, current[i]) if i in touch else current[i]
            if i in touch:
                edited.append(post)
            survivors.append(post)
        used = set(prev.used_keys[site])
        kinds = list(spec.mix)
        weights = list(spec.mix.values())
        start = night_close(night) - timedelta(hours=night_close(night).hour)
        for _ in range(round(len(current) * NEW_RATE)):
            kind = pen.rng.choices(kinds, weights=weights)[0]
            when = start + timedelta(minutes=pen.between(0, 20 * 60 - 1))
            key = fresh_key(spec, pen, used)
            post = make_post(spec, pen, kind, key, when, night_close(night))
            added.append(post)
            survivors.append(post)
        posts[site] = _newest_first(survivors)
        used_keys[site] = frozenset(used)
    return NightState(
        prev.seed, night, posts, used_keys, tuple(removed), tuple(edited), tuple(added)
    )


@lru_cache(maxsize=32)
def night_state(seed: int, night: int) -> NightState:
    if night < 1:
        raise ValueError(f"night must be 1 or later, got {night}")
    if night == 1:
        posts = {site: _newest_first(first_night(seed, site)) for site in SPECS}
        used = {site: frozenset(p.truth.key for p in ps) for site, ps in posts.items()}
        return NightState(seed, 1, posts, used)
    return _mutate(night_state(seed, night - 1))
