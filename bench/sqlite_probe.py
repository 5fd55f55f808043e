"""Gunicorn configuration for bench/sqlite_writers.py: say which database error became a 503.

`ctg_workshops.middleware.DatabaseUnavailableMiddleware` turns every OperationalError into a 503
and logs only the exception's class ("database unavailable: OperationalError"), so its log
cannot tell "database is locked" from any other database error. For the benchmark only, each
worker wraps that hook, before Django loads it, to log the exception's message first; the answer
is unchanged. Errors that escape the middleware (500s) are logged with their traceback by Django
as usual, message included.

Used as `gunicorn -c bench/sqlite_probe.py ...`; nothing in the product imports it.
"""

import logging


def post_fork(server, worker) -> None:
    from django.db import InterfaceError, OperationalError

    from ctg_workshops.middleware import DatabaseUnavailableMiddleware

    original = DatabaseUnavailableMiddleware.process_exception
    logger = logging.getLogger("bench.sqlite_probe")

    def process_exception(self, request, exception):
        if isinstance(exception, (OperationalError, InterfaceError)):
            logger.warning(
                "bench probe: %s %s: %s: %s",
                request.method,
                request.path,
                type(exception).__name__,
                exception,
            )
        return original(self, request, exception)

    DatabaseUnavailableMiddleware.process_exception = process_exception
