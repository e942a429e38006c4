"""Parse query text into a :class:`~relpool.query.ast.Query` with lark (LALR).

A syntax error names the position, shows the query with a caret under it, and says what was
expected there. Nothing else escapes: any string gives a Query or a RelpoolError.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken, VisitError

from relpool.errors import RelpoolError
from relpool.query.ast import Aggregation, BoolOp, ColumnRef, Comparison, Literal, Not, Query

# How an expected terminal is named in an error message.
_READABLE = {
    "PREDICT": "PREDICT",
    "FOR": "FOR",
    "EACH": "EACH",
    "WHERE": "WHERE",
    "VIA": "VIA",
    "RANK": "RANK",
    "TOP": "TOP",
    "AND": "AND",
    "OR": "OR",
    "NOT": "NOT",
    "TRUE": "TRUE",
    "FALSE": "FALSE",
    "NULL": "NULL",
    "AGG_FUNC": "an aggregation (COUNT, SUM, AVG, MIN, MAX, COUNT_DISTINCT, FIRST, LAST, LIST_DISTINCT)",
    "UNIT": "a time unit (hours, days, weeks, months, years)",
    "COMP_OP": "a comparison (=, !=, <, <=, >, >=)",
    "NAME": "a name",
    "QUOTED_NAME": "a quoted name",
    "INT": "an integer",
    "SIGNED_NUMBER": "a number",
    "STRING": "a quoted string",
    "SIGN": "a sign",
    "STAR": "'*'",
    "DOT": "'.'",
    "COMMA": "','",
    "LPAR": "'('",
    "RPAR": "')'",
    "$END": "the end of the query",
}

_ENDS_WITH_QUOTED_NAME = re.compile(r'"(?:[^"]|"")+"\s*$')


@lru_cache(maxsize=1)
def _parser() -> Lark:
    grammar = (Path(__file__).parent / "grammar.lark").read_text()
    return Lark(grammar, start="query", parser="lalr", propagate_positions=True, maybe_placeholders=False)


def parse_query(text: str) -> Query:
    if not isinstance(text, str) or not text.strip():
        raise RelpoolError("the query is empty; expected PREDICT <target> FOR EACH <table>.<key>")
    try:
        tree = _parser().parse(text)
        return _ToAst(text).transform(tree)
    except UnexpectedInput as exc:
        raise RelpoolError(_syntax_message(text, exc)) from None
    except VisitError as exc:
        if isinstance(exc.orig_exc, RelpoolError):
            raise exc.orig_exc from None
        raise


def caret(text: str, position: int) -> str:
    """The line of ``text`` holding ``position`` with a caret under it (position is 0-based)."""
    position = max(0, min(position, len(text)))
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    line = text[start : end if end >= 0 else len(text)]
    return f"\n  {line}\n  {' ' * (position - start)}^"


def _syntax_message(text: str, exc: UnexpectedInput) -> str:
    in_stream: int | None = getattr(exc, "pos_in_stream", None)
    position = in_stream if in_stream is not None else len(text)
    if isinstance(exc, UnexpectedEOF):
        position = len(text.rstrip())
    if isinstance(exc, UnexpectedCharacters):
        found = f"character {text[position]!r}"
        expected = exc.allowed
    elif isinstance(exc, UnexpectedToken):
        found = "the end of the query" if exc.token.type == "$END" else f"{exc.token.value!r}"
        expected = exc.expected
        if exc.token.type == "$END":
            position = len(text.rstrip())
    else:
        found, expected = "the end of the query", getattr(exc, "expected", set())
    names = sorted({_READABLE.get(name, name.lower()) for name in expected})
    wanted = names[0] if len(names) == 1 else "one of " + ", ".join(names)
    hint = ""
    if "DOT" in expected and _ENDS_WITH_QUOTED_NAME.search(text[:position]):
        hint = "; double quotes make a name, as in SQL: write a text value in single quotes"
    return f"syntax error at position {position + 1}: expected {wanted}, found {found}{hint}{caret(text, position)}"


@v_args(inline=True)
class _ToAst(Transformer):
    def __init__(self, text: str):
        super().__init__()
        self.text = text

    def query(self, _predict, target, *rest):
        rank = rest[0] if isinstance(rest[0], int) else None
        rest = rest[1:] if rank is not None else rest
        _for, _each, entity = rest[:3]
        entity_filter = rest[3] if len(rest) > 3 else None
        return Query(target, entity, entity_filter, rank, self.text)

    def rank(self, _rank, _top, k):
        if int(k) < 1:
            raise RelpoolError(f"RANK TOP needs a positive number of items, got {k}{caret(self.text, k.start_pos)}")
        return int(k)

    def entity_filter(self, _where, expr):
        return expr

    def or_expr(self, *items):
        return BoolOp("OR", tuple(i for i in items if not isinstance(i, Token)))

    def and_expr(self, *items):
        return BoolOp("AND", tuple(i for i in items if not isinstance(i, Token)))

    def not_(self, _not, item):
        return Not(item)

    def comparison(self, left, op, right):
        return Comparison(left, "!=" if op == "<>" else str(op), right)

    def aggregation(self, function, target, *rest):
        via = row_filter = None
        if isinstance(rest[0], ColumnRef):  # only `via` gives a bare column before WHERE
            via, rest = rest[0], rest[1:]
        if isinstance(rest[0], Token) and rest[0].type == "WHERE":
            row_filter, rest = rest[1], rest[2:]
        start, end, unit = rest
        return Aggregation(
            str(function).upper(), target, row_filter, start, end, str(unit).lower(), function.start_pos, via
        )

    def via(self, _via, column):
        return column

    def name(self, token):
        """The name itself: quotes removed, doubled quotes undone."""
        text = str(token)
        if token.type == "QUOTED_NAME":
            text = text[1:-1].replace('""', '"') if text[0] == '"' else text[1:-1]
        return Token.new_borrow_pos("NAME", text, token)

    def agg_target(self, table, column):
        return ColumnRef(str(table), str(column), table.start_pos)

    def column_ref(self, table, column):
        return ColumnRef(str(table), str(column), table.start_pos)

    def signed_int(self, *parts):
        return int("".join(str(p) for p in parts))

    def number(self, token):
        text = str(token)
        return Literal(float(text) if any(c in text for c in ".eE") else int(text))

    def string(self, token):
        return Literal(str(token)[1:-1].replace("''", "'"))

    def true(self, _):
        return Literal(True)

    def false(self, _):
        return Literal(False)

    def null(self, _):
        return Literal(None)
