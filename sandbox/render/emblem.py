"""Deterministic PNGs written with zlib + struct only: the emblem (red disc, yellow star) and a
training company's logo (blue square, white bars) that must never pass for the emblem."""

from __future__ import annotations

import math
import struct
import zlib
from functools import lru_cache

RED = (200, 16, 46, 255)
GOLD = (255, 214, 0, 255)
CLEAR = (0, 0, 0, 0)


def _star(size: int) -> list[tuple[float, float]]:
    centre, outer, inner = size / 2, size * 0.3, size * 0.12
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((centre + radius * math.cos(angle), centre + radius * math.sin(angle)))
    return points


def _inside(x: float, y: float, polygon: list[tuple[float, float]]) -> bool:
    inside = False
    j = len(polygon) - 1
    for i, (xi, yi) in enumerate(polygon):
        xj, yj = polygon[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@lru_cache(maxsize=4)
def emblem_png(size: int = 96) -> bytes:
    star = _star(size)
    centre, radius = size / 2, size / 2 - 1
    rows = bytearray()
    for y in range(size):
        rows.append(0)  # filter: none
        for x in range(size):
            px, py = x + 0.5, y + 0.5
            if _inside(px, py, star):
                pixel = GOLD
            elif (px - centre) ** 2 + (py - centre) ** 2 <= radius**2:
                pixel = RED
            else:
                pixel = CLEAR
            rows.extend(pixel)
    return _png(size, bytes(rows))


BLUE = (20, 92, 170, 255)
WHITE = (255, 255, 255, 255)


@lru_cache(maxsize=2)
def logo_png(size: int = 96) -> bytes:
    """A blue square with three white horizontal bars (an open book, roughly)."""
    rows = bytearray()
    bars = [(int(size * f), int(size * f) + max(2, size // 12)) for f in (0.3, 0.48, 0.66)]
    for y in range(size):
        rows.append(0)
        for x in range(size):
            on_bar = any(a <= y < b for a, b in bars) and size * 0.2 <= x < size * 0.8
            rows.extend(WHITE if on_bar else BLUE)
    return _png(size, bytes(rows))


def _png(size: int, rows: bytes) -> bytes:
    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )
