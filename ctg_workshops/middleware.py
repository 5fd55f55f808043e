"""Site-wide middleware: a strict Content-Security-Policy, input without NUL characters, and a
friendly 503 while the database is unreachable.

Django 5.2 has no built-in CSP, and the policy is small and fixed, so a few lines here beat a
dependency. Pages carry no inline script or style: all of it is served from /static/.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

UNAVAILABLE_MESSAGE = _(
    "The server cannot reach its database for a moment. Nothing you sent is lost: "
    "try again in a few seconds."
)

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.CSP_ENABLED:
            header = (
                "Content-Security-Policy-Report-Only"
                if settings.CSP_REPORT_ONLY
                else "Content-Security-Policy"
            )
            response.headers.setdefault(header, POLICY)
        return response


class NullCharacterMiddleware:
    """Drop NUL characters from query strings and form data before anything reads them.

    No keyboard types one, PostgreSQL cannot store one (and refuses a query that mentions one),
    and the text normaliser would drop it anyway; removing it here keeps every view and form
    safe without each checking.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for name in ("GET", "POST"):
            data = getattr(request, name)
            if any(
                "\x00" in key or any("\x00" in v for v in values) for key, values in data.lists()
            ):
                cleaned = QueryDict(mutable=True)
                for key, values in data.lists():
                    cleaned.setlist(
                        key.replace("\x00", ""), [v.replace("\x00", "") for v in values]
                    )
                cleaned._mutable = False
                setattr(request, name, cleaned)
        return self.get_response(request)


class DatabaseUnavailableMiddleware:
    """While the database cannot be reached, answer 503 with Retry-After, not a crash page.

    The participant's page keeps the card on the device and sends it again after Retry-After;
    people see a plain explanation. Nothing was stored: the transaction never reached the
    database, so the retry with the same idempotency key is safe.
    """

    RETRY_AFTER_SECONDS = 5

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        # The first line of the driver's message ("connection refused", "database is locked")
        # tells operators which failure it was; it holds no participant data.
        detail = str(exception).splitlines()[0][:200] if str(exception) else ""
        logger.warning("database unavailable: %s: %s", type(exception).__name__, detail)
        if "application/json" in request.headers.get("Accept", ""):
            response = JsonResponse(
                {"status": "unavailable", "error": str(UNAVAILABLE_MESSAGE)}, status=503
            )
        else:
            response = HttpResponse(
                render_to_string("503.html", {"retry_after": self.RETRY_AFTER_SECONDS}),
                status=503,
            )
        response["Retry-After"] = str(self.RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
