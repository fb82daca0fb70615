"""Stamp a screenshot with when, where and by whom it was captured, below the page image.

The page pixels are left untouched: the stamp is a band added under them, so the image shows
the page exactly as rendered plus the capture record (Beijing time and UTC, URL, operator).
"""

from __future__ import annotations

import functools
import io
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
FONT_SIZE = 18
LINE_HEIGHT = 28
PADDING = 12
MIN_WIDTH = 800


@functools.cache
def _font() -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, bool]:
    """A CJK font (and True) when installed; Pillow's own Latin font (and False) otherwise."""
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            # In Noto's collections face 2 is Simplified Chinese.
            index = 2 if candidate.endswith(".ttc") and "Noto" in candidate else 0
            return ImageFont.truetype(candidate, FONT_SIZE, index=index), True
    return ImageFont.load_default(FONT_SIZE), False


def stamp_lines(*, url: str, at: datetime, operator: str, chinese: bool = True) -> list[str]:
    beijing = at.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    utc = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    if chinese:
        return [f"截取时间（北京时间）：{beijing}  UTC：{utc}",
                f"网址：{url}", f"操作人：{operator}    工具：certwatch"]
    return [f"Captured (Beijing time): {beijing}  UTC: {utc}", f"URL: {url}",
            f"Operator: {operator}    Tool: certwatch"]


def _wrap(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
          width: int) -> list[str]:
    lines, current = [], ""
    for char in text:
        if current and font.getlength(current + char) > width:
            lines.append(current)
            current = ""
        current += char
    return [*lines, current]


def stamp_screenshot(png: bytes, *, url: str, at: datetime, operator: str) -> bytes:
    """The screenshot with a white band of capture details added below it, as PNG."""
    page = Image.open(io.BytesIO(png))
    page.load()
    font, chinese = _font()
    width = max(page.width, MIN_WIDTH)
    lines = [wrapped for line in stamp_lines(url=url, at=at, operator=operator, chinese=chinese)
             for wrapped in _wrap(line, font, width - 2 * PADDING)]
    band = 2 * PADDING + LINE_HEIGHT * len(lines)
    out = Image.new("RGB", (width, page.height + band), "white")
    out.paste(page.convert("RGB"), (0, 0))
    draw = ImageDraw.Draw(out)
    draw.line([(0, page.height), (width, page.height)], fill="black", width=2)
    for i, line in enumerate(lines):
        draw.text((PADDING, page.height + PADDING + i * LINE_HEIGHT), line, fill="black",
                  font=font)
    buffer = io.BytesIO()
    out.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()
