"""refused_for_shape: the real refusals of both databases for a statement's size or shape, and nothing else.

Each case runs a real statement against the test database (SQLite and PostgreSQL) and classifies the
exception it raises; errors that mean something else (a conflict, a bug in SQL, a database that
cannot be reached) must not be taken for a client's oversized request.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, bindparam, create_engine, text
from sqlalchemy.exc import DBAPIError

from incidents_service.storage.statement_errors import refused_for_shape


def _error_of(engine: Engine, statement) -> DBAPIError:
    with engine.connect() as connection, pytest.raises(DBAPIError) as info:
        connection.execute(statement)
    return info.value


def _bound_in(count: int):
    """SELECT 1 ... WHERE x IN (`count` bind parameters): valid on both databases, only its size at stake."""
    statement = text("SELECT 1 FROM (SELECT 'v0' AS x) AS t WHERE x IN :values")
    return statement.bindparams(bindparam("values", value=[f"v{i}" for i in range(count)], expanding=True))


def test_70000_bind_parameters_are_refused_for_shape(engine):
    # PostgreSQL: libpq refuses more than 65535 parameters before sending (an OperationalError with no
    # SQLSTATE); SQLite: "too many SQL variables" past its limit (32766 by default, 250000 on some
    # builds), so SQLite gets more when it accepts these.
    count = 70_000
    with engine.connect() as connection:
        try:
            connection.execute(_bound_in(count)).all()
        except DBAPIError as error:
            assert refused_for_shape(error), repr(error.orig)
            return
    assert engine.dialect.name == "sqlite", "PostgreSQL accepted 70,000 bind parameters"
    error = _error_of(engine, _bound_in(300_000))
    assert refused_for_shape(error), repr(error.orig)
    assert "too many SQL variables" in str(error.orig)


def test_a_huge_expression_is_refused_for_shape(engine):
    # SQLite: "Expression tree is too large (maximum depth 1000)"; PostgreSQL: 54001 "stack depth
    # limit exceeded".
    error = _error_of(engine, text("SELECT " + " + ".join(["1"] * 100_000)))
    assert refused_for_shape(error), repr(error.orig)


def test_deeply_nested_parentheses_are_refused_for_shape(engine):
    # SQLite: "parser stack overflow"; PostgreSQL: 42601 "memory exhausted at or near "("".
    error = _error_of(engine, text("SELECT " + "(" * 50_000 + "1" + ")" * 50_000))
    assert refused_for_shape(error), repr(error.orig)


def test_too_many_columns_are_refused_for_shape(engine):
    # PostgreSQL: 54011 "target lists can have at most 1664 entries"; SQLite: "too many columns".
    error = _error_of(engine, text("SELECT " + ", ".join(["1"] * 40_000)))
    assert refused_for_shape(error), repr(error.orig)


def test_a_statement_within_the_limits_runs(engine):
    with engine.connect() as connection:
        assert connection.execute(_bound_in(1000)).all() == [(1,)]


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM no_such_table",  # a bug in the service's SQL, not the client's request
        "SELECT 1 +",  # a syntax error
        "SELECT 1 / 0 FROM (SELECT CAST(:zero AS INTEGER) AS z) AS t WHERE z = 0 AND 1 / z = 1",
    ],
)
def test_other_statement_errors_are_not_refusals_for_shape(engine, statement):
    with engine.connect() as connection:
        try:
            connection.execute(text(statement), {"zero": 0}).all()
        except DBAPIError as error:
            assert not refused_for_shape(error), repr(error.orig)
        else:
            assert engine.dialect.name == "sqlite", "only SQLite answers 1 / 0 with NULL"


def test_a_unique_violation_is_not_a_refusal_for_shape(engine):
    with engine.connect() as connection:
        connection.execute(text("CREATE TEMPORARY TABLE shape_unique (k INTEGER PRIMARY KEY)"))
        connection.execute(text("INSERT INTO shape_unique VALUES (1)"))
        with pytest.raises(DBAPIError) as info:
            connection.execute(text("INSERT INTO shape_unique VALUES (1)"))
        connection.rollback()
    assert not refused_for_shape(info.value)


def test_an_unreachable_database_is_not_a_refusal_for_shape():
    unreachable = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    with pytest.raises(DBAPIError) as info:
        unreachable.connect()
    assert not refused_for_shape(info.value)
    missing_file = create_engine("sqlite:////nonexistent-folder/incidents.db")
    with pytest.raises(DBAPIError) as info:
        missing_file.connect()
    assert not refused_for_shape(info.value)
