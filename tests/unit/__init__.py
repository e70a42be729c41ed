"""Unit tests: the domain with no I/O, and storage against SQLite and PostgreSQL, without a server."""
