"""The entity-relationship diagram as a PNG: one box per table, one arrow per foreign key (child -> parent)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import networkx as nx  # noqa: E402

from relpool.db.schema import Schema  # noqa: E402

# Parallel foreign keys between the same two tables bend by different amounts so none hides another.
BENDS = (0.12, -0.25, 0.4, -0.5, 0.6)


def draw_schema(schema: Schema, rows: dict[str, int], path: Path, title: str = "") -> None:
    graph = nx.Graph()
    graph.add_nodes_from(schema.tables)
    edges = [
        (name, fk.references_table, ", ".join(fk.columns))
        for name, table in schema.tables.items()
        for fk in table.foreign_keys
    ]
    graph.add_edges_from((a, b) for a, b, _ in edges if a != b)
    positions = nx.kamada_kawai_layout(graph) if len(graph) > 2 else nx.circular_layout(graph)
    size = max(6.0, 2.2 * len(graph) ** 0.5 + 3)
    fig, ax = plt.subplots(figsize=(size * 1.3, size))
    xs, ys = zip(*positions.values())
    pad = 0.35  # room for the boxes: text does not count in matplotlib's autoscaling
    ax.set_xlim(min(xs) - pad, max(xs) + pad)
    ax.set_ylim(min(ys) - pad, max(ys) + pad)
    boxes = {
        name: _draw_table(ax, positions[name], name, table, rows.get(name, 0)) for name, table in schema.tables.items()
    }
    fig.canvas.draw()  # box patches get their final size only once drawn
    seen: Counter = Counter()
    for child, parent, label in edges:
        pair = frozenset((child, parent))
        bend = BENDS[seen[pair] % len(BENDS)]
        seen[pair] += 1
        _draw_edge(ax, positions, boxes, child, parent, label, bend)
    ax.set_title(title or "relpool schema", fontsize=12)
    ax.text(
        0.0,
        0.0,
        "arrows: foreign key, child -> parent; PK: primary key; time: time column",
        transform=ax.transAxes,
        fontsize=8,
        color="#666666",
    )
    ax.set_axis_off()
    fig.savefig(path, dpi=120, format="png")
    plt.close(fig)


def _draw_table(ax, xy, name, table, rows: int):
    lines = [f"{name}  ({rows:,} rows)"]
    if table.primary_key:
        lines.append("PK " + ", ".join(table.primary_key))
    if table.time_column:
        lines.append("time " + table.time_column)
    return ax.text(
        *xy,
        "\n".join(lines),
        ha="center",
        va="center",
        fontsize=9,
        zorder=3,
        bbox=dict(boxstyle="round,pad=0.5", facecolor="#eef3fb", edgecolor="#3b6db3", linewidth=1.2),
    )


def _draw_edge(ax, positions, boxes, child: str, parent: str, label: str, bend: float) -> None:
    start, end = positions[child], positions[parent]
    if child == parent:  # a self-reference loops out of the box's right side and back in
        x, y = start
        ax.annotate(
            "",
            xy=(x + 0.02, y + 0.02),
            xytext=(x + 0.02, y - 0.02),
            zorder=4,
            arrowprops=dict(
                arrowstyle="-|>", color="#555555", connectionstyle="arc3,rad=-2.5", patchA=None, patchB=None
            ),
        )
        ax.text(x + 0.2, y, label, fontsize=8, color="#333333", va="center")
        return
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        zorder=4,
        arrowprops=dict(
            arrowstyle="-|>",
            color="#555555",
            connectionstyle=f"arc3,rad={bend}",
            patchA=boxes[child].get_bbox_patch(),
            patchB=boxes[parent].get_bbox_patch(),
            mutation_scale=14,
        ),
    )
    # The label sits on the curve's midpoint: the chord's midpoint pushed sideways by the bend.
    dx, dy = end[0] - start[0], end[1] - start[1]
    mid = (start[0] + dx / 2 + bend * dy / 2, start[1] + dy / 2 - bend * dx / 2)
    ax.text(
        *mid,
        label,
        fontsize=8,
        color="#333333",
        ha="center",
        va="center",
        zorder=2,
        bbox=dict(boxstyle="round,pad=0.15", facecolor="white", edgecolor="none", alpha=0.85),
    )
