"""Site-wide middleware: a strict Content-Security-Policy, and input without NUL characters.

Django 5.2 has no built-in CSP, and the policy is small and fixed, so a few lines here beat a
dependency. Pages carry no inline script or style: all of it is served from /static/.
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict

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
