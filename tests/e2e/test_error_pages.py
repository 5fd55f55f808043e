"""The error pages people may meet are valid HTML too (they are rendered, not browsed to)."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory


@pytest.mark.e2e
@pytest.mark.parametrize(
    "template", ["400.html", "403.html", "403_csrf.html", "500.html", "503.html"]
)
def test_error_page_is_valid_html(template, html_checker):
    html = render_to_string(template, request=RequestFactory().get("/"))
    assert html_checker.errors(html) == []
