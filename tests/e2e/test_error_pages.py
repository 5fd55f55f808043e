"""The error pages people may meet are valid HTML too (they are rendered, not browsed to)."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory


@pytest.mark.e2e
@pytest.mark.parametrize(
    "template",
    [
        "400.html",
        "403.html",
        "403_csrf.html",
        "429.html",
        "500.html",
        "503.html",
        "registration/locked_out.html",
    ],
)
def test_error_page_is_valid_html(template, html_checker):
    context = {"message": "Too many wrong session codes.", "lockout_minutes": 15}
    html = render_to_string(template, context, request=RequestFactory().get("/"))
    assert html_checker.errors(html) == []
