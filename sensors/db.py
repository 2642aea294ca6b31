"""PostgreSQL cursors for the sensors' hot paths, shared by the push (sensors/airrohr.py) and
the map feed and series (sensors/feeds.py)."""

from django.db import connection


def server_bound_cursor(*, binary: bool = False):
    """A cursor that binds parameters on the server, so psycopg prepares the statements a
    connection runs often (settings: OPTIONS prepare_threshold); with `binary`, rows arrive in
    binary form, loaded by psycopg's C code instead of Django's Python loaders. Django's own
    cursors bind on the client: they never prepare and fetch only text. Still Django's
    wrapper, so queries are logged and counted as any other. Elsewhere than PostgreSQL: the
    usual cursor."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg
    from psycopg.pq import Format

    connection.ensure_connection()
    raw = psycopg.Cursor(connection.connection)
    if binary:
        raw.format = Format.BINARY
    return connection.make_debug_cursor(raw) if connection.queries_logged \
        else connection.make_cursor(raw)
