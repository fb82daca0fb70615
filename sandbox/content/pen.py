"""The Pen: every random choice the grammar makes goes through one seeded `random.Random`."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import TypeVar

from sandbox.content import vocab

T = TypeVar("T")

STYLES = ("terse", "verbose", "broker", "individual")


class Pen:
    """A seeded random source plus the small choices every writer needs (place, name, firm).

    `gbk_safe` keeps emoji and other non-GBK characters out (the forum is served as GBK).
    """

    def __init__(self, rng: random.Random, *, gbk_safe: bool = False) -> None:
        self.rng = rng
        self.gbk_safe = gbk_safe
        self.style = "terse"

    def pick(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def picks(self, options: Sequence[T], k: int) -> list[T]:
        return self.rng.sample(list(options), min(k, len(options)))

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def between(self, low: int, high: int) -> int:
        return self.rng.randint(low, high)

    def digits(self, n: int) -> str:
        return "".join(str(self.rng.randrange(10)) for _ in range(n))

    # -- places, people, organisations -------------------------------------------------------
    def place(self) -> tuple[str, str]:
        province = self.pick(sorted(vocab.PROVINCES))
        return province, self.pick(vocab.PROVINCES[province])

    def region(self, place: tuple[str, str] | None = None) -> str:
        province, city = place or self.place()
        return f"{province}·{city}"

    def surname(self) -> str:
        return self.pick(vocab.SURNAMES)

    def person(self) -> str:
        return self.surname() + self.pick(vocab.HONORIFICS)

    def nick(self) -> str:
        if self.chance(0.3):
            return f"{self.pick(vocab.LATIN_NICKS)}_{self.pick(vocab.NICK_TAILS)}{self.digits(2)}"
        tail = self.digits(self.between(0, 4))
        return self.pick(vocab.NICK_HEADS) + self.pick(vocab.NICK_TAILS) + tail

    def firm(self, city: str, suffixes: Sequence[str] = vocab.BUILDER_SUFFIXES) -> str:
        return city + self.pick(vocab.FIRM_WORDS) + self.pick(suffixes)

    def registered_cert(self) -> tuple[str, str, str, tuple[float, float]]:
        """(short, full, specialty, fee range in 万/年) of a registered profession."""
        short, full, specialties, fees = self.pick(vocab.REGISTERED_CERTS)
        return short, full, self.pick(specialties), fees

    def special_cert(self) -> tuple[str, str]:
        return self.pick(vocab.SPECIAL_CERTS)
