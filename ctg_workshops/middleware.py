"""Site-wide middleware: a strict Content-Security-Policy and Permissions-Policy, input without
control characters, and a friendly 503 while the database is unreachable.

Django 5.2 has no built-in CSP, and the policy is small and fixed, so a few lines here beat a
dependency. Pages carry no inline script or style: all of it is served from /static/.
"""

import logging
import random
import time
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from sessions.text import has_control_characters, strip_control_characters

logger = logging.getLogger(__name__)

BUSY_MESSAGE = _(
    "The server is very busy for a moment. Nothing you sent is lost: it is sent again shortly."
)
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

    - A request whose Content-Length is over ``REQUEST_MAX_BYTES`` (or a view's own
      ``max_body_bytes``) answers 413 before its body is read.
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
        if _content_length(request) > settings.REQUEST_MAX_BYTES:
            return _too_large()
        request.GET = _cleaned(request.GET)
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

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        # Here, not in __call__, so that a body is only read for a page that exists, and after
        # a view's own smaller limit (``max_body_bytes``, e.g. the CSP reports) is checked.
        limit = getattr(view_func, "max_body_bytes", None)
        if limit is not None and _content_length(request) > limit:
            return _too_large()
        if request.method == "POST":
            request.POST = _cleaned(request.POST)
        return None


def _content_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django then reads no body at all


def _too_large() -> HttpResponse:
    return HttpResponse(
        _("The request is too large."), status=413, content_type="text/plain; charset=utf-8"
    )


def _cleaned(data: QueryDict) -> QueryDict:
    """``data`` without control characters in its keys and values (itself if it has none)."""
    if not any(
        has_control_characters(key) or any(has_control_characters(v) for v in values)
        for key, values in data.lists()
    ):
        return data
    cleaned = QueryDict(mutable=True)
    for key, values in data.lists():
        cleaned.setlist(
            strip_control_characters(key), [strip_control_characters(v) for v in values]
        )
    cleaned._mutable = False
    return cleaned


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


class LoadSheddingMiddleware:
    """Answer 503 + Retry-After at once to a request that waited too long in the queue.

    When the app servers are saturated, requests queue in front of them; a request that
    waited longer than ``SHED_QUEUE_MS`` is one whose person is already waiting too long (and
    whose phone may have given up and sent it again). Doing its work now would only make every
    later request wait longer, so it is answered at once, before sessions, the database or
    templates are touched; the participant's page sends it again after Retry-After (cards and
    dots carry keys, so a resend never counts twice). The retry times are spread over a few
    seconds so the phones do not all come back at the same moment.

    The queue's wait is measured from ``X-Request-Start`` (``t=<seconds since the epoch>``,
    with milliseconds, as nginx's ``$msec`` gives), set by the proxy in front (docs/
    deployment.md). It is read only when ``BEHIND_PROXY`` is on: a client cannot set it then,
    as the proxy overwrites it. ``/healthz`` is never shed.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit_ms = settings.SHED_QUEUE_MS
        if settings.BEHIND_PROXY and limit_ms > 0 and request.path != "/healthz":
            waited = queue_wait(request.META.get("HTTP_X_REQUEST_START", ""))
            if waited is not None and waited * 1000 > limit_ms:
                return _busy(request)
        return self.get_response(request)


def queue_wait(header: str, now: float | None = None) -> float | None:
    """Seconds since the proxy received the request, from ``t=1700000000.123`` (seconds; also
    milliseconds or microseconds as whole numbers); None when the header is missing or odd."""
    value = header.removeprefix("t=").strip()
    if not value or len(value) > 24:
        return None
    try:
        start = float(value)
    except ValueError:
        return None
    if start > 1e14:  # microseconds
        start /= 1e6
    elif start > 1e11:  # milliseconds
        start /= 1e3
    waited = (time.time() if now is None else now) - start
    return waited if 0 <= waited < 3600 else None


def _busy(request: HttpRequest) -> HttpResponse:
    retry_after = random.randint(*settings.SHED_RETRY_AFTER)  # noqa: S311 (spread, not secret)
    if "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"status": "busy", "error": str(BUSY_MESSAGE)}, status=503)
    else:
        response = HttpResponse(
            str(BUSY_MESSAGE), status=503, content_type="text/plain; charset=utf-8"
        )
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response
