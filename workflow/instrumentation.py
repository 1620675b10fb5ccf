"""For the benchmarks: the number of SQL statements a request ran, as the `X-Query-Count` response
header (only when QUERY_COUNT_HEADER is set; off in production)."""

from __future__ import annotations

from flask import Flask, g, has_request_context
from sqlalchemy import event


def init_app(app: Flask) -> None:
    if not app.config.get("QUERY_COUNT_HEADER"):
        return
    from workflow.extensions import db

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _count(conn, cursor, statement, parameters, context, executemany):
        if has_request_context():
            g.query_count = g.get("query_count", 0) + 1

    @app.after_request
    def _header(response):
        response.headers["X-Query-Count"] = str(g.get("query_count", 0))
        return response
