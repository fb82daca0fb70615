"""Every host's pages for one (seed, night), rendered once and kept as bytes."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from sandbox.content.nights import night_state
from sandbox.render.gov import (
    CopiedPortal,
    IcpCopyPortal,
    MirrorPortal,
    OfficialPortal,
    ZscxPortal,
)
from sandbox.render.hostile import Hostile
from sandbox.render.jobs58 import Jobs58
from sandbox.render.mot import MotPortal
from sandbox.render.page import Site
from sandbox.render.tieba import Tieba
from sandbox.render.training import TrainingSite
from sandbox.render.tzzy import TzzyPortal
from sandbox.render.xianyu import Xianyu
from sandbox.render.zhipin import Zhipin

LISTING_RENDERERS = {
    "jobs58": Jobs58,
    "zhipin": Zhipin,
    "xianyu": Xianyu,
    "tieba": Tieba,
    "hostile": Hostile,
}


@lru_cache(maxsize=1)
def _portals() -> tuple[Site, ...]:
    # The query portals do not change from night to night.
    return (OfficialPortal(), CopiedPortal(), ZscxPortal(), MirrorPortal(), TzzyPortal(),
            IcpCopyPortal(), MotPortal(), TrainingSite())


@lru_cache(maxsize=8)
def build_sites(seed: int, night: int) -> Mapping[str, Site]:
    """Hostname -> rendered site for that night."""
    state = night_state(seed, night)
    sites: dict[str, Site] = {}
    for name, renderer in LISTING_RENDERERS.items():
        site = renderer(state.posts[name])
        sites[site.host] = site
    for portal in _portals():
        sites[portal.host] = portal
    return MappingProxyType(sites)
