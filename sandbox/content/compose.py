"""Turn template pools into a finished Draft: fill slots, pick lines by writer style, disguise."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sandbox.content.contacts import Contact, hidden_contact, plain_contact
from sandbox.content.draft import Draft
from sandbox.content.obfuscate import disguise
from sandbox.content.pen import STYLES, Pen

# How many body lines each writer style produces (min, max).
STYLE_LENGTH: dict[str, tuple[int, int]] = {
    "terse": (1, 1),
    "individual": (2, 4),
    "broker": (4, 6),
    "verbose": (5, 9),
}


def fill(template: str, slots: Mapping[str, str]) -> str:
    return template.format_map(slots)


def choose_style(pen: Pen, weights: Sequence[float] = (0.25, 0.3, 0.2, 0.25)) -> str:
    pen.style = pen.rng.choices(STYLES, weights=weights)[0]
    return pen.style


def body(pen: Pen, pool: Sequence[str], slots: Mapping[str, str], *, extra: int = 0) -> list[str]:
    """Pick distinct lines from `pool` in pool order, as many as the current style wants."""
    low, high = STYLE_LENGTH[pen.style]
    count = min(len(pool), pen.between(low, high) + extra)
    chosen = sorted(pen.rng.sample(range(len(pool)), count))
    return [fill(pool[i], slots) for i in chosen]


@dataclass
class Ad:
    """The parts of an advertisement before it becomes a Draft."""

    kind: str
    label: str
    title: str
    lines: list[str]
    price: str | None
    region: str
    topic: str
    org: str
    person: str
    province: str


def contact_for(pen: Pen, ad: Ad, disguised: bool, *, firm: bool = False) -> Contact:
    if disguised and pen.chance(0.75):
        return hidden_contact(pen)
    return plain_contact(pen, ad.person, ad.province, firm=firm)


def finish(
    pen: Pen,
    ad: Ad,
    disguised: bool,
    *,
    firm: bool = False,
    contact_lead: Sequence[str] = ("联系：", "有意者联系", "电话/微信：", "详询 ", ""),
) -> Draft:
    """Disguise the ad if asked, then attach the contact (after disguising, so the contact
    written in the body stays identical to the contact field)."""
    title, lines = ad.title, list(ad.lines)
    if disguised:
        title, lines = disguise(pen, title, lines)
    contact = contact_for(pen, ad, disguised, firm=firm)
    if pen.style != "terse" or pen.chance(0.5):
        lead = pen.pick(contact_lead)
        if len(contact.in_text) == 1:
            lines.append(lead + contact.in_text[0])
        else:
            lines.extend(contact.in_text)
    if not lines:
        lines = [title]
    return Draft(
        kind=ad.kind,
        label=ad.label,
        title=title,
        lines=lines,
        price=ad.price,
        contact=contact.display,
        region=ad.region,
        obfuscated=disguised,
        topic=ad.topic,
        org=ad.org,
        person=ad.person,
    )
