"""Site-wide middleware: a strict Content-Security-Policy and Permissions-Policy, input without
control characters, and a friendly 503 while the database is unreachable.

Django 5.2 has no built-in CSP, and the policy is small and fixed, so a few lines here beat a
dependency. Pages carry no inline script or style: all of it is served from /static/.
"""

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from sessions.text import has_control_characters, strip_control_characters

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
        # Violations are reported to a view that logs them (ctg_workshops.views.csp_report).
        # Only report-uri: every browser sends it at once, while Chromium, given report-to as
        # well, ignores report-uri and batches reports through the Reporting API instead.
        "report-uri /csp-report/",
    ]
)
# No page uses a device feature; the live board may go full screen (its own button).
PERMISSIONS_POLICY = ", ".join(
    [
        "accelerometer=()",
        "autoplay=()",
        "camera=()",
        "display-capture=()",
        "fullscreen=(self)",
        "geolocation=()",
        "gyroscope=()",
        "magnetometer=()",
        "microphone=()",
        "midi=()",
        "payment=()",
        "publickey-credentials-get=()",
        "screen-wake-lock=(self)",
        "usb=()",
        "xr-spatial-tracking=()",
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
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


class InputMiddleware:
    """Text as it enters the site, treated once for every view, form and lookup.

    - Query strings and form fields lose their control characters (``sessions.text``): no
      keyboard types them, PostgreSQL cannot store a NUL (and refuses a query that holds one),
      and some hide text or uncover a formula in a spreadsheet later.
    - A path holding a control character, or longer than any of our URLs, answers 404 before
      any view looks anything up with it.
    - A cookie holding a control character, or longer than a browser keeps, is dropped, as if
      the browser had not sent it (so no session, token or CSRF lookup ever sees it).
    """

    MAX_PATH_LENGTH = 2048
    MAX_COOKIE_LENGTH = 4096

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if len(request.path_info) > self.MAX_PATH_LENGTH or has_control_characters(
            request.path_info
        ):
            raise Http404
        for name in ("GET", "POST"):
            data = getattr(request, name)
            if any(
                has_control_characters(key) or any(has_control_characters(v) for v in values)
                for key, values in data.lists()
            ):
                cleaned = QueryDict(mutable=True)
                for key, values in data.lists():
                    cleaned.setlist(
                        strip_control_characters(key),
                        [strip_control_characters(v) for v in values],
                    )
                cleaned._mutable = False
                setattr(request, name, cleaned)
        cookies = request.COOKIES
        if any(
            len(value) > self.MAX_COOKIE_LENGTH or has_control_characters(key + value)
            for key, value in cookies.items()
        ):
            request.COOKIES = {
                key: value
                for key, value in cookies.items()
                if len(value) <= self.MAX_COOKIE_LENGTH and not has_control_characters(key + value)
            }
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
