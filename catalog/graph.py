"""Lay out a component's dependency graph as positions for a small SVG drawing."""

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

ROW = 44
COLUMN_X = {"upstream": 10, "center": 260, "downstream": 510}
WIDTH, NODE_W, NODE_H = 740, 220, 30
# A box holds this many characters of its label; the full label is its link's name and title.
BOX_CHARS = 30


@dataclass(frozen=True)
class Node:
    label: str
    url: str | None
    x: int
    y: int
    resolved: bool = True
    cycle: bool = False

    @property
    def text(self) -> str:
        """The label as the box shows it, cut to BOX_CHARS with an ellipsis (as the template
        filter truncatechars would, at a fraction of its cost for a graph of many boxes)."""
        if len(self.label) <= BOX_CHARS:
            return self.label
        return self.label[: BOX_CHARS - 1] + "…"

    @property
    def text_x(self) -> int:
        return self.x + 10

    @property
    def text_y(self) -> int:
        return self.y + 19


@dataclass(frozen=True)
class Edge:
    x1: int
    y1: int
    x2: int
    y2: int


def layout(center: tuple[str, str], dependents: list, dependencies: list) -> dict:
    """Dependents on the left, the component in the middle, its dependencies on the right.

    `dependents` and `dependencies` are (label, url or None) pairs; a label on both sides is a
    cycle and is marked on both, never followed further, so any graph lays out in one pass.
    """
    rows = max(len(dependents), len(dependencies), 1)
    height = rows * ROW + 10
    cycle = {label for label, _ in dependents} & {label for label, _ in dependencies}
    mid_y = (height - NODE_H) // 2
    hub = Node(center[0], center[1], COLUMN_X["center"], mid_y)
    nodes, edges = [hub], []
    for column, items in (("upstream", dependents), ("downstream", dependencies)):
        offset = (height - len(items) * ROW) // 2
        for index, (label, url) in enumerate(items):
            node = Node(
                label,
                url,
                COLUMN_X[column],
                offset + index * ROW + 5,
                url is not None,
                label in cycle,
            )
            nodes.append(node)
            if column == "upstream":
                edges.append(
                    Edge(node.x + NODE_W, node.y + NODE_H // 2, hub.x, mid_y + NODE_H // 2)
                )
            else:
                edges.append(
                    Edge(hub.x + NODE_W, mid_y + NODE_H // 2, node.x, node.y + NODE_H // 2)
                )
    return {
        "nodes": nodes,
        "edges": edges,
        "width": WIDTH,
        "height": height,
        "node_w": NODE_W,
        "node_h": NODE_H,
        "has_cycle": bool(cycle),
    }


def _node_markup(node: Node, first: bool) -> str:
    classes = " ".join(
        name
        for name, on in (
            ("hub", first),
            ("unresolved-node", not node.resolved),
            ("cycle", node.cycle),
        )
        if on
    )
    label = escape(node.label)
    aria = (
        label
        + (" (this service)" if first else "")
        + (", in a dependency cycle" if node.cycle else "")
    )
    title = label + (": in a dependency cycle" if node.cycle else "")
    title += ": not in the catalog" if not node.resolved else ""
    text = escape(node.text) + (" ↻" if node.cycle else "") + (" ?" if not node.resolved else "")
    inner = (
        f"<title>{title}</title>"
        f'<rect x="{node.x}" y="{node.y}" width="{NODE_W}" height="{NODE_H}" rx="6"/>'
        f'<text x="{node.text_x}" y="{node.text_y}">{text}</text>'
    )
    if node.url:
        inner = f'<a href="{escape(node.url)}" aria-label="{aria}">{inner}</a>'
    return f'<g class="{classes}">{inner}</g>'


def svg(drawn: dict, caption_id: str) -> SafeString:
    """The laid-out graph as SVG, every label and link escaped. Written here rather than in a
    template: a template drawing 50 boxes spent more time looking up their ten values each
    than the rest of the service page took."""
    edges = "".join(
        f'<line x1="{e.x1}" y1="{e.y1}" x2="{e.x2}" y2="{e.y2}"/>' for e in drawn["edges"]
    )
    nodes = "".join(_node_markup(node, index == 0) for index, node in enumerate(drawn["nodes"]))
    return mark_safe(  # noqa: S308 -- every value above is a number or escaped
        f'<svg class="dep-graph" viewBox="0 0 {drawn["width"]} {drawn["height"]}" role="group" '
        f'aria-labelledby="{escape(caption_id)}">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" '
        'markerHeight="6" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="currentColor"/></marker></defs>'
        f'<g aria-hidden="true">{edges}</g>{nodes}</svg>'
    )
