"""A flame graph (SVG, root at the top: an icicle) from collapsed stacks (py-spy's raw
format, `frame;frame;frame count` lines), so that a profile needs nothing but py-spy."""

from __future__ import annotations

from collections.abc import Iterator
from html import escape

WIDTH = 1600
ROW = 16
MIN_WIDTH = 0.5  # pixels: narrower frames are left out


class _Node:
    __slots__ = ("children", "count")

    def __init__(self) -> None:
        self.count = 0
        self.children: dict[str, _Node] = {}


def stacks(collapsed: str) -> Iterator[tuple[list[str], int]]:
    """(frames, root first; sample count) of each line of collapsed stacks."""
    for line in collapsed.splitlines():
        frames, _, count_text = line.rpartition(" ")
        if frames and count_text.isdigit():
            yield frames.split(";"), int(count_text)


def _tree(collapsed: str) -> _Node:
    root = _Node()
    for frames, count in stacks(collapsed):
        node = root
        node.count += count
        for frame in frames:
            node = node.children.setdefault(frame, _Node())
            node.count += count
    return root


def _colour(name: str) -> str:
    value = sum(name.encode()) % 60
    return f"rgb({205 + value // 2},{80 + value * 2},{40 + value // 3})"


def render(collapsed: str, title: str = "profile") -> str:
    root = _tree(collapsed)
    total = root.count or 1
    scale = WIDTH / total
    boxes: list[str] = []
    depth_max = 0

    def draw(node: _Node, name: str, x: float, depth: int) -> None:
        nonlocal depth_max
        width = node.count * scale
        if width < MIN_WIDTH:
            return
        depth_max = max(depth_max, depth)
        share = 100 * node.count / total
        label = escape(name)
        text = label[: int(width / 7)] if width > 21 else ""
        boxes.append(
            f"<g><title>{label} ({node.count} samples, {share:.1f}%)</title>"
            f'<rect x="{x:.1f}" y="{ROW * (depth + 1) + 4}" width="{width:.1f}" height="{ROW - 1}" '
            f'fill="{_colour(name)}"/>'
            f'<text x="{x + 3:.1f}" y="{ROW * (depth + 2)}">{text}</text></g>'
        )
        offset = x
        for child_name, child in sorted(node.children.items()):
            draw(child, child_name, offset, depth + 1)
            offset += child.count * scale

    offset = 0.0
    for name, child in sorted(root.children.items()):
        draw(child, name, offset, 0)
        offset += child.count * scale
    height = (depth_max + 3) * ROW
    body = "\n".join(boxes)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        'font-family="monospace" font-size="11">'
        f'<text x="4" y="14">{escape(title)}: {total} samples</text>\n{body}\n</svg>\n'
    )
