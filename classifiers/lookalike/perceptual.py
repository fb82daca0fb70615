"""Perceptual hashes (dHash, pHash) with Pillow, for telling an emblem or logo by its look.

Both hash the image's content box (transparent or white margins cropped) composited on
white, so the same emblem served at another size, padding or format hashes (nearly) alike.
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from PIL import Image, UnidentifiedImageError

HASH_BITS = 64
MAX_PIXELS = 16_000_000  # a hostile page's "logo" must not exhaust memory


class ImageUnreadable(ValueError):
    """The bytes are not an image Pillow can decode (or are too large to try)."""


def load_image(data: bytes) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_PIXELS:
            raise ImageUnreadable(f"image too large: {image.width}x{image.height}")
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ImageUnreadable(str(exc)) from None
    return image


def _content(image: Image.Image) -> Image.Image:
    """RGB on white, cropped to what is not background."""
    rgba = image.convert("RGBA")
    canvas = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(canvas, rgba).convert("L")
    box = Image.eval(flat, lambda v: 255 if v < 250 else 0).getbbox()
    return flat.crop(box) if box else flat


def _gray(image: Image.Image, width: int, height: int) -> np.ndarray:
    small = _content(image).resize((width, height), Image.Resampling.LANCZOS)
    return np.asarray(small, dtype=np.float64)


def _bits(flags: np.ndarray) -> int:
    value = 0
    for flag in flags.ravel():
        value = (value << 1) | int(bool(flag))
    return value


def dhash(image: Image.Image, size: int = 8) -> int:
    """Difference hash: is each pixel brighter than its right neighbour (size x size bits)."""
    pixels = _gray(image, size + 1, size)
    return _bits(pixels[:, 1:] > pixels[:, :-1])


@lru_cache(maxsize=4)
def _dct_matrix(n: int) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    matrix = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2 / n)
    matrix[0] /= np.sqrt(2)
    return matrix


def phash(image: Image.Image, size: int = 8, factor: int = 4) -> int:
    """DCT hash: the lowest size x size frequencies of a 32x32 image against their median."""
    n = size * factor
    dct = _dct_matrix(n)
    coefficients = (dct @ _gray(image, n, n) @ dct.T)[:size, :size]
    # The DC term only says how bright the image is; leave it out of the median.
    median = np.median(coefficients.ravel()[1:])
    return _bits(coefficients > median)


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def hashes(data: bytes) -> dict[str, str]:
    """{"phash": hex, "dhash": hex} of image bytes (raises ImageUnreadable)."""
    image = load_image(data)
    return {"phash": f"{phash(image):016x}", "dhash": f"{dhash(image):016x}"}


def distance(a: str, b: str) -> int:
    """Hamming distance between two hex hashes."""
    return hamming(int(a, 16), int(b, 16))
