"""How the tool connects to a database server, for the run history (history/engine.py) and for database sources
(readers/database.py) alike: a URL it refuses, and PostgreSQL's libpq parameters (each one the URL gives being the
user's choice)."""

from __future__ import annotations

CONNECT_TIMEOUT_S = 10  # per address the server's name resolves to (psycopg's rule); libpq's minimum is 2
# A server that stops answering once connected (a host that froze, a network that dropped the connection) would hold
# a run for ever in a read: keepalives probe an idle connection (10 s, then 3 probes 5 s apart) and tcp_user_timeout
# bounds data the server never acknowledges, so such a connection fails within about 30 s.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
              "tcp_user_timeout": 30_000}  # fmt: skip


def postgres_connect_args(query: object) -> dict[str, int]:
    """The connect timeout and keepalives, but for those the URL's query string sets itself."""
    wanted = {"connect_timeout": CONNECT_TIMEOUT_S, **KEEPALIVES}
    return {key: value for key, value in wanted.items() if key not in query}  # type: ignore[operator]


def at_in_password(url: str) -> bool:
    """Whether a URL holds a second `@` before its query string: a password's unescaped `@`, which puts the rest of
    the password into the host or the database name (and so into messages, and to the resolver)."""
    return url.split("://", 1)[-1].split("?", 1)[0].count("@") > 1
