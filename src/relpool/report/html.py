"""HTML building blocks for a report that stands alone: inline CSS, PNGs as data URIs, no scripts, no URLs."""

from __future__ import annotations

import base64
from html import escape

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { font-size: 1.5rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } th { background: #eef3fb; }
tr.main td { font-weight: bold; } code { background: #f4f4f4; padding: 0.1rem 0.3rem; }
img { max-width: 100%; display: block; margin: 0.5rem 0; } .note { color: #666; font-size: 0.9rem; }
"""


def page(title: str, body: list[str]) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{STYLE}</style></head>\n<body>\n<h1>{escape(title)}</h1>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def section(heading: str, *parts: str) -> str:
    return f"<section><h2>{escape(heading)}</h2>\n" + "\n".join(parts) + "</section>"


def paragraph(text: str, note: bool = False) -> str:
    return f'<p class="note">{escape(text)}</p>' if note else f"<p>{escape(text)}</p>"


def code(text: str) -> str:
    return f"<p><code>{escape(text)}</code></p>"


def table(headers: list[str], rows: list[list], main_row: int | None = None) -> str:
    """Strings are shown as they are; numbers right-aligned (ints with separators, floats to 4 places,
    None as n/a). ``main_row`` (an index) is shown in bold."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    lines = []
    for i, row in enumerate(rows):
        cells = "".join(
            f"<td>{escape(c)}</td>" if isinstance(c, str) else f'<td class="num">{_number(c)}</td>' for c in row
        )
        lines.append(f'<tr class="main">{cells}</tr>' if i == main_row else f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(lines)}</tbody></table>"


def image(png: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'


def _number(value: int | float | None) -> str:
    if value is None or value != value:  # JSON has no NaN: undefined metrics arrive as None
        return "n/a"
    return f"{value:,}" if isinstance(value, int) else f"{value:.4f}"
