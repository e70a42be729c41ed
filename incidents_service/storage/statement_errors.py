"""Statements a database refuses because of their size or shape (SPEC 11: the client's INVALID_ARGUMENT).

The caps checked at the API edge keep every statement well inside what both databases accept; this
is the guard behind them. A refusal for size or shape says nothing about the database being down,
so it must never be answered UNAVAILABLE (psycopg even reports the parameter count as an
OperationalError, raised in the client before anything is sent).
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError

# PostgreSQL: class 54 "program limit exceeded": 54000 (e.g. an index row too large), 54001
# statement_too_complex ("stack depth limit exceeded"), 54011 too_many_columns, 54023
# too_many_arguments.
_POSTGRES_LIMIT_CLASS = "54"
# PostgreSQL's parser answers a too deeply nested statement with a syntax error (42601) whose message
# says its stack ran out; other syntax errors are the service's own bugs and stay what they are.
_POSTGRES_PARSER_EXHAUSTED = ("memory exhausted",)
# libpq refuses more bind parameters than its protocol's 16-bit count, client-side, with no SQLSTATE.
_POSTGRES_CLIENT_REFUSALS = ("number of parameters must be between 0 and 65535",)
# SQLite reports its compile-time limits as OperationalError (no error code in the message).
_SQLITE_REFUSALS = (
    "expression tree is too large",
    "too many sql variables",
    "parser stack overflow",
    "too many terms in compound select",
    "too many columns",
    "too many from clause terms",
    "string or blob too big",
    "sql statement too long",
)


def refused_for_shape(exc: BaseException) -> bool:
    """True when the database (or its driver) refused a statement for its size or shape."""
    error = exc.orig if isinstance(exc, DBAPIError) else exc
    if error is None:
        return False
    sqlstate = getattr(error, "sqlstate", None)
    message = str(error).lower()
    if isinstance(sqlstate, str):
        if sqlstate.startswith(_POSTGRES_LIMIT_CLASS):
            return True
        return sqlstate == "42601" and any(text in message for text in _POSTGRES_PARSER_EXHAUSTED)
    return any(text in message for text in (*_POSTGRES_CLIENT_REFUSALS, *_SQLITE_REFUSALS))


# What the client is told (translate_storage_error answers it as INVALID_ARGUMENT naming `request`).
STATEMENT_REFUSED = "the database refused the statement this request makes as too large or too complex; ask for less"
