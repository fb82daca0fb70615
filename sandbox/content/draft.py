"""A generated piece of content before it is placed on a site."""

from __future__ import annotations

from dataclasses import dataclass, field

# Forum a draft belongs to on the tieba replica (and a coarse topic elsewhere).
TOPIC_REGISTERED = "registered"  # 建造师 and other registered professions
TOPIC_SAFETY = "safety"  # 安全员 A/B/C
TOPIC_SPECIAL = "special"  # 特种作业 / 特种设备


@dataclass
class Draft:
    kind: str
    label: str
    title: str
    lines: list[str]
    price: str | None = None
    contact: str | None = None
    region: str | None = None
    obfuscated: bool = False
    topic: str = TOPIC_REGISTERED
    org: str = ""  # company / school / shop shown next to the ad ("个人" for individuals)
    person: str = ""  # contact person or nickname
    replies: list[str] = field(default_factory=list)  # forum replies (not listings)

    def text(self) -> str:
        return "\n".join(self.lines)
