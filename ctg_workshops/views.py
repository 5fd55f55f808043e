"""Site-wide pages: the home page, the health check and the browsers' CSP reports."""

import json
import logging
from itertools import groupby

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from responses.ratelimit import Limit, client_address, rate_limit_hit
from sessions.roles import user_is_facilitator, user_is_staff_member
from sessions.selectors import workshop_list_for

logger = logging.getLogger(__name__)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Signed in: the workshops this user may see, grouped by project phase."""
    phases = []
    if request.user.is_authenticated:
        workshops = list(workshop_list_for(user=request.user))
        phases = [
            (phase, list(items)) for phase, items in groupby(workshops, key=lambda w: w.phase)
        ]
    return render(
        request,
        "home.html",
        {
            "phases": phases,
            "is_staff_member": user_is_staff_member(request.user),
            "can_plan": user_is_staff_member(request.user) or user_is_facilitator(request.user),
        },
    )


@require_GET
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """For load balancers: 200 when this app server can reach its database, else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


# A report is a few hundred bytes; anything much larger is not a report.
CSP_REPORT_MAX_BYTES = 16 * 1024
CSP_REPORT_FIELDS = (
    "document-uri",
    "documentURL",
    "violated-directive",
    "effectiveDirective",
    "effective-directive",
    "blocked-uri",
    "blockedURL",
    "source-file",
    "sourceFile",
    "line-number",
    "lineNumber",
    "disposition",
)


@csrf_exempt  # browsers send reports without a token, and a report changes nothing
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    """Log the Content-Security-Policy violations browsers report, one line each.

    Bounded: a request over 16 kB is refused by its Content-Length before its body is read
    (``max_body_bytes``, checked by InputMiddleware), only known fields are logged (escaped by
    the log formatter, cut to 300 characters), and each address may log 30 reports a minute;
    past that reports are accepted and dropped, so a page in a loop cannot flood the log.
    """
    try:
        document = json.loads(request.read(CSP_REPORT_MAX_BYTES))
    except (ValueError, UnicodeDecodeError, RecursionError):
        document = None  # not a report (or a nesting bomb): dropped
    # report-uri sends {"csp-report": {...}}; the Reporting API a list of {"type", "body"}.
    if isinstance(document, dict):
        reports = [document.get("csp-report")]
    elif isinstance(document, list):
        reports = [item.get("body") for item in document[:10] if isinstance(item, dict)]
    else:
        reports = []
    limit = Limit("csp-reports", settings.CSP_REPORTS_PER_MINUTE, 60)
    for report in reports:
        if not isinstance(report, dict):
            continue
        if not rate_limit_hit(limit=limit, subject=client_address(request)).allowed:
            break  # each logged report counts; past the limit they are dropped
        fields = {key: str(report[key])[:300] for key in CSP_REPORT_FIELDS if key in report}
        logger.warning("csp violation: %s", json.dumps(fields, ensure_ascii=True))
    return HttpResponse(status=204)
    try:
        document = json.loads(request.read(CSP_REPORT_MAX_BYTES))
    except (ValueError, UnicodeDecodeError):
        document = None  # not a report: dropped like one over the rate
    # report-uri sends {"csp-report": {...}}; the Reporting API a list of {"type", "body"}.
    if isinstance(document, dict):
        reports = [document.get("csp-report")]
    elif isinstance(document, list):
        reports = [item.get("body") for item in document[:10] if isinstance(item, dict)]
    else:
        reports = []
    for report in reports:
        if isinstance(report, dict):
            fields = {key: str(report[key])[:300] for key in CSP_REPORT_FIELDS if key in report}
            logger.warning("csp violation: %s", json.dumps(fields, ensure_ascii=True))
    return HttpResponse(status=204)


csp_report.max_body_bytes = CSP_REPORT_MAX_BYTES


def sign_in_paused(request: HttpRequest, original_response=None, credentials=None):
    """django-axes' answer while sign-in is paused for a user name or an address."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    response = render(
        request, "registration/locked_out.html", {"lockout_minutes": minutes}, status=429
    )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
