"""The query language: valid queries parse, malformed ones get one clear message with a caret."""

from __future__ import annotations

import pytest
from conftest import shop_frames
from hypothesis import given, settings
from hypothesis import strategies as st

from relpool.db import inspect_database
from relpool.errors import RelpoolError
from relpool.query.ast import Aggregation, BoolOp, ColumnRef, Comparison, Literal, Not
from relpool.query.bind import bind
from relpool.query.parser import parse_query


def test_full_query_parses_into_the_expected_tree():
    text = (
        "predict count(flights.* where flights.arr_delay > 30 and not flights.origin = 'JFK', 0, 7, days) > 2 "
        "for each planes.tailnum where COUNT(flights.*, -30, 0, DAYS) >= 1 OR planes.year < 1990.5"
    )
    q = parse_query(text)
    assert q.target == Comparison(
        Aggregation(
            "COUNT",
            ColumnRef("flights", "*", text.index("flights.*")),
            BoolOp(
                "AND",
                (
                    Comparison(ColumnRef("flights", "arr_delay", text.index("flights.arr")), ">", Literal(30)),
                    Not(Comparison(ColumnRef("flights", "origin", text.index("flights.origin")), "=", Literal("JFK"))),
                ),
            ),
            0,
            7,
            "days",
            text.index("count"),
        ),
        ">",
        Literal(2),
    )
    assert q.entity == ColumnRef("planes", "tailnum", text.index("planes.tailnum"))
    assert isinstance(q.entity_filter, BoolOp) and q.entity_filter.op == "OR"
    assert q.entity_filter.items[1] == Comparison(
        ColumnRef("planes", "year", text.index("planes.year")), "<", Literal(1990.5)
    )
    assert q.entity_filter.items[0].left.start == -30


def test_rank_top_and_static_targets():
    q = parse_query("PREDICT LIST_DISTINCT(flights.dest, 0, 30, days) RANK TOP 10 FOR EACH planes.tailnum")
    assert q.rank_top == 10 and q.target.function == "LIST_DISTINCT"
    assert parse_query("PREDICT planes.manufacturer FOR EACH planes.tailnum").target == ColumnRef(
        "planes", "manufacturer", 8
    )


def test_via_names_the_foreign_key_to_follow():
    text = "PREDICT AVG(flights.dep_delay VIA flights.dest WHERE flights.distance > 500, 0, 30, days) FOR EACH airports.faa"
    agg = parse_query(text).target
    assert agg.via == ColumnRef("flights", "dest", text.index("flights.dest"))
    assert agg.row_filter == Comparison(
        ColumnRef("flights", "distance", text.index("flights.distance")), ">", Literal(500)
    )
    assert str(agg) == "AVG(flights.dep_delay VIA flights.dest, 0, 30, days)"


SYNTAX_ERRORS = [
    ("", "the query is empty"),
    (
        "PREDICT COUNT(transactions.*, 0, 7, days) FOR customers.customer_id",
        "syntax error at position 47: expected EACH, found 'customers'",
    ),
    (
        "PREDICT COUNT(transactions.*, 0, 7) FOR EACH customers.customer_id",
        "syntax error at position 35: expected ',', found ')'",
    ),
    (
        "PREDICT COUNT(transactions.*, 0, 7, fortnights) FOR EACH customers.customer_id",
        "expected a time unit (hours, days, weeks, months, years), found 'fortnights'",
    ),
    (
        "PREDICT COUNT(transactions.* 0, 7, days) FOR EACH customers.customer_id",
        "syntax error at position 30: expected one of ',', VIA, WHERE, found '0'",
    ),
    ("PREDICT COUNT(transactions.*, 0, 7, days FOR EACH customers.customer_id", "expected ')', found 'FOR'"),
    ("PREDICT COUNT(transactions.*, 0, 7, days) FOR EACH customers", "expected '.', found the end of the query"),
    (
        "PREDICT COUNT(transactions.* VIA customer_id, 0, 7, days) FOR EACH customers.customer_id",
        "syntax error at position 45: expected '.', found ','",
    ),
    ("PREDICT $ FOR EACH customers.customer_id", "syntax error at position 9: expected one of"),
    ("PREDICT COUNT(transactions.*, 0, 7, days) > FOR EACH customers.customer_id", "found 'FOR'"),
    (
        "PREDICT COUNT(transactions.*, 0, 7, days) RANK TOP 0 FOR EACH customers.customer_id",
        "RANK TOP needs a positive number of items, got 0",
    ),
]


@pytest.mark.parametrize("query, message", SYNTAX_ERRORS)
def test_syntax_errors_name_position_and_expectation(query, message):
    with pytest.raises(RelpoolError) as caught:
        parse_query(query)
    text = str(caught.value)
    assert message in text
    if query:
        lines = text.splitlines()
        assert lines[-2].strip() == query.strip() and lines[-1].strip() == "^"  # the query, then the caret


def test_caret_points_at_the_offending_token():
    query = "PREDICT COUNT(transactions.* 0, 7, days) FOR EACH customers.customer_id"
    with pytest.raises(RelpoolError) as caught:
        parse_query(query)
    line, mark = str(caught.value).splitlines()[-2:]
    assert line[mark.index("^")] == "0" and line.strip() == query


@pytest.fixture(scope="module")
def shop_inspection():
    return inspect_database(shop_frames())


SEMANTIC_ERRORS = [
    (
        "PREDICT COUNT(transaction.*, 0, 7, days) FOR EACH customers.customer_id",
        "unknown table 'transaction' (did you mean 'transactions'?)",
        "transaction.*",
    ),
    (
        "PREDICT SUM(transactions.amout, 0, 7, days) FOR EACH customers.customer_id",
        "unknown column 'amout' in table 'transactions' (did you mean 'amount'?)",
        "transactions.amout",
    ),
    (
        "PREDICT COUNT(transactions.*, 0, 7, days) FOR EACH customers.name",
        "FOR EACH needs the single-column primary key of 'customers'; its primary key is (customer_id)",
        "customers.name",
    ),
    (
        "PREDICT COUNT(transactions.*, -7, 0, days) FOR EACH customers.customer_id",
        "must start at or after the cutoff (start >= 0)",
        "COUNT(",
    ),
    (
        "PREDICT COUNT(transactions.*, 0, 7, days) FOR EACH customers.customer_id WHERE COUNT(transactions.*, -7, 1, days) > 0",
        "WHERE may only look at the past, but the window of COUNT(transactions.*, -7, 1, days) ends 1 days after the cutoff",
        "COUNT(transactions.*, -7",
    ),
    (
        "PREDICT SUM(transactions.product_id, 0, 7, days) FOR EACH customers.customer_id",
        "SUM needs a numeric column, and transactions.product_id is VARCHAR",
        "transactions.product_id",
    ),
    (
        "PREDICT AVG(transactions.*, 0, 7, days) FOR EACH customers.customer_id",
        "AVG needs a column, not transactions.* (only COUNT takes *)",
        "transactions.*",
    ),
    (
        "PREDICT COUNT(transactions.*, 7, 7, days) FOR EACH customers.customer_id",
        "the window (7, 7] of COUNT(transactions.*, 7, 7, days) is empty",
        "COUNT(",
    ),
    (
        "PREDICT COUNT(transactions.*, 0, 100000, years) > 0 FOR EACH customers.customer_id",
        "the window (0, 100000] of COUNT(transactions.*, 0, 100000, years) reaches more than 200 years from the "
        "cutoff (at most 200 years)",
        "COUNT(",
    ),
    (
        "PREDICT COUNT(transactions.*, 0, 7, days) FOR EACH customers.customer_id "
        "WHERE COUNT(transactions.*, -9999999, 0, hours) > 0",
        "reaches more than 200 years",
        "COUNT(transactions.*, -9",
    ),
    (
        "PREDICT LIST_DISTINCT(transactions.product_id, 0, 7, days) FOR EACH customers.customer_id",
        "a LIST_DISTINCT target needs RANK TOP k",
        None,
    ),
    (
        "PREDICT COUNT(transactions.*, 0, 7, days) RANK TOP 5 FOR EACH customers.customer_id",
        "RANK TOP k needs a LIST_DISTINCT(...) target",
        None,
    ),
    (
        "PREDICT LIST_DISTINCT(transactions.amount, 0, 7, days) RANK TOP 5 FOR EACH customers.customer_id",
        "transactions.amount is not a foreign key",
        "transactions.amount",
    ),
    (
        "PREDICT COUNT(transactions.*, 0, 7, days) > 'many' FOR EACH customers.customer_id",
        "cannot compare a value of type integer with a value of type string",
        "COUNT(",
    ),
    (
        "PREDICT COUNT(transactions.*, 0, 7, days) > products.price FOR EACH customers.customer_id",
        "products.price is not a column of the entity table 'customers'",
        "products.price",
    ),
    (
        "PREDICT customers.name FOR EACH customers.customer_id WHERE customers.name = 'x'",
        "WHERE uses the target column customers.name: that would leak the label",
        "customers.name = ",
    ),
    (
        "PREDICT COUNT(transactions.* WHERE products.price > 3, 0, 7, days) FOR EACH customers.customer_id",
        "conditions can use transactions's columns, not products.price",
        "products.price",
    ),
    (
        "PREDICT COUNT(customers.*, 0, 7, days) FOR EACH customers.customer_id",
        "COUNT aggregates rows related to 'customers', not its own rows",
        "customers.*",
    ),
    (
        "PREDICT COUNT(transactions.*, 0, 7, days) AND TRUE FOR EACH customers.customer_id",
        "AND, OR and NOT need conditions, but this is a value of type integer",
        "COUNT(",
    ),
    (
        "PREDICT 3 FOR EACH customers.customer_id",
        "the target must aggregate a related table or name a column of the entity table",
        None,
    ),
    (
        "PREDICT COUNT(daily.*, 0, 7, days) FOR EACH products.product_id",
        "'daily' is not related to 'products' through one or two foreign keys",
        "daily.*",
    ),
]


@pytest.mark.parametrize("query, message, at", SEMANTIC_ERRORS)
def test_semantic_errors_are_clear(query, message, at, shop_inspection):
    with pytest.raises(RelpoolError) as caught:
        bind(parse_query(query), shop_inspection)
    text = str(caught.value)
    assert message in " ".join(text.split())
    if at is not None:
        line, mark = text.splitlines()[-2:]
        assert line[mark.index("^") :].startswith(at)


VOCABULARY = [
    "PREDICT",
    "FOR",
    "EACH",
    "WHERE",
    "RANK",
    "TOP",
    "AND",
    "OR",
    "NOT",
    "COUNT(",
    "SUM(",
    "AVG(",
    "LIST_DISTINCT(",
    "LAST(",
    "transactions.*",
    "transactions.amount",
    "customers.customer_id",
    "customers.name",
    "products.price",
    "transactions.product_id",
    "VIA",
    ",",
    ")",
    "(",
    "0",
    "7",
    "-30",
    "days",
    "months",
    ">",
    "=",
    "!=",
    "'x'",
    "NULL",
    "TRUE",
    "3.5",
    "10",
]


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.text(max_size=80))
def test_arbitrary_text_gives_a_query_or_a_clear_error(text):
    try:
        parse_query(text)
    except RelpoolError as exc:
        assert str(exc)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(VOCABULARY), min_size=1, max_size=22))
def test_token_soup_never_crashes_parser_or_binder(shop_inspection, tokens):
    try:
        bind(parse_query(" ".join(tokens)), shop_inspection)
    except RelpoolError as exc:
        assert str(exc)


def test_quoted_names_as_in_sql():
    text = (
        'PREDICT AVG("user reviews"."star rating" WHERE `user reviews`.note = \'it\'\'s "fine"\', 0, 7, days) '
        'FOR EACH "for"."each ""id"""'
    )
    q = parse_query(text)
    assert q.target.target == ColumnRef("user reviews", "star rating", text.index('"user reviews"'))
    assert q.target.row_filter.right == Literal('it\'s "fine"')
    assert q.entity == ColumnRef("for", 'each "id"', text.index('"for"'))
    assert str(q.target) == 'AVG("user reviews"."star rating", 0, 7, days)'
    assert str(q.entity) == '"for"."each ""id"""'


def test_a_double_quoted_value_is_a_name_and_the_error_says_so():
    with pytest.raises(RelpoolError, match="double quotes make a name, as in SQL: write a text value in single quotes"):
        parse_query('PREDICT COUNT(flights.* WHERE flights.origin = "JFK", 0, 7, days) FOR EACH planes.tailnum')


def test_quoted_names_reach_tables_and_columns_with_spaces():
    import pandas as pd

    from relpool.query.task import build_task

    days = pd.date_range("2021-01-01", periods=120, freq="D")
    users = pd.DataFrame({"user id": range(20)})
    reviews = pd.DataFrame(
        {
            "review id": range(600),
            "user id": [i % 20 for i in range(600)],
            "review time": [days[i % 120] for i in range(600)],
            "star rating": [float(i % 5) for i in range(600)],
        }
    )
    inspection = inspect_database({"users": users, "user reviews": reviews})
    task = build_task(inspection, 'PREDICT AVG("user reviews"."star rating", 0, 30, days) FOR EACH users."user id"')
    assert task.task_type == "regression"
    train = task.tables["train"]
    assert len(train) > 0 and train["label"].between(0, 4).all()
