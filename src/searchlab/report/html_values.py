"""How values and files appear on the report page: escaped text, numbers for people, links, image sizes."""

from __future__ import annotations

import html
import json
import math
import os
import urllib.parse
from pathlib import Path
from typing import Any


def inside(folder: Path, relative: str) -> Path | None:
    """`folder / relative` if that names something inside `folder` (links followed), else None.

    A result.json edited by hand (or from elsewhere) may name "/etc/passwd" or "../../x.png";
    the report must not read, size or link such a file.
    """
    if "\x00" in relative or Path(relative).is_absolute() or ".." in Path(relative).parts:
        return None
    file = folder / relative
    try:
        real, root = file.resolve(), folder.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return None
    return file if real == root or root in real.parents else None


def image_size(file: Path) -> tuple[int, int] | None:
    """Pixel size of a raster image (reads the header only), so the page keeps its layout while images load."""
    if file.suffix.lower() == ".svg":
        return None
    try:
        from PIL import Image

        with Image.open(file) as image:
            return image.size
    except Exception:  # an unreadable image still gets an <img>; the browser decides
        return None


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def href(target: Path, page_dir: Path) -> str:
    """`target` as a URL relative to the page's folder (percent-encoded, '/' separated)."""
    absolute = os.path.abspath(target)
    try:
        relative = Path(os.path.relpath(absolute, page_dir)).as_posix()
    except ValueError:  # another drive on Windows: no relative path exists
        return esc(Path(absolute).as_uri())
    return esc(urllib.parse.quote(relative, safe="/"))


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def format_value(value: Any) -> str:
    """Numbers for people: ints with thousands separators, floats to 4 significant digits."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return _format_float(value)
    if isinstance(value, (list, tuple)) and all(v is None or isinstance(v, (str, int, float)) for v in value):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value)
    return str(value)


def _format_float(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if -4 <= magnitude < 6:
        decimals = max(0, 3 - magnitude)
        text = f"{value:,.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    mantissa, exponent = f"{value:.3e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"
