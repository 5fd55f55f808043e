"""The admin's record lists stay light: they never load stored files or problem lists."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.models import ImportBatch

pytestmark = pytest.mark.django_db


def test_import_batch_list_loads_no_file_and_no_problems(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x")
    for number in range(3):
        ImportBatch.objects.create(
            filename=f"records-{number}.xlsx",
            sha256="0" * 64,
            size_bytes=10,
            status=ImportBatch.Status.INVALID,
            problems=[{"sheet": "statements", "row": 2, "message": "bad"}] * 200,
            created_by=admin,
        )
    client.force_login(admin)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("admin:reports_importbatch_changelist"))
    assert response.status_code == 200
    assert b"records-2.xlsx" in response.content
    selected = " ".join(q["sql"].split(" FROM ")[0] for q in queries)
    assert '"reports_importbatch"."problems"' not in selected
    assert '"reports_importbatch"."content"' not in selected
    # The detail page still shows everything held about the batch.
    batch = ImportBatch.objects.first()
    detail = client.get(reverse("admin:reports_importbatch_change", args=[batch.pk]))
    assert detail.status_code == 200
    assert b"bad" in detail.content
