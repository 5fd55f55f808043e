"""The records pages: download, upload with a checked preview, confirm or discard."""

import datetime as dt
import importlib
import io
import zipfile

import pytest
from django.apps import apps as django_apps
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reports.models import ImportBatch
from reports.records.progress import progress_key
from responses.models import Statement
from tests.factories import PlenarySessionFactory, ProjectPhaseFactory, WorkshopFactory

CARDS = (
    "workshop,session,text,use\r\nw-1,1,Reach people where they are,E\r\nw-1,1,Who approves?,\r\n"
)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def session(db):
    return PlenarySessionFactory(workshop=WorkshopFactory(reference="w-1"), position=1)


def upload(client, content: str, name: str = "statements.csv", **extra):
    file = SimpleUploadedFile(name, content.encode("utf-8"))
    return client.post(reverse("reports:records_upload"), {"file": file, **extra})


def test_a_valid_file_is_checked_then_imported_once(staff_client, session, staff_user):
    response = upload(staff_client, CARDS)
    batch = ImportBatch.objects.get()

    assert response.status_code == 302
    assert response["Location"] == reverse("reports:records_batch", args=[batch.pk])
    assert batch.status == "checked"
    assert batch.created_by == staff_user
    assert Statement.objects.count() == 0
    page = staff_client.get(response["Location"]).content.decode()
    assert "The file is valid: 2 new records will be added, in one step." in page

    first = staff_client.post(reverse("reports:records_batch_import", args=[batch.pk]))
    second = staff_client.post(reverse("reports:records_batch_import", args=[batch.pk]))

    batch.refresh_from_db()
    assert first.status_code == second.status_code == 302
    assert batch.status == "imported"
    assert batch.content is None
    assert batch.summary["counts"]["statements"] == {"rows": 2, "new": 2, "present": 0}
    assert sorted(session.statements.values_list("text", "use")) == [
        ("Reach people where they are", "E"),
        ("Who approves?", ""),
    ]
    page = staff_client.get(first["Location"]).content.decode()
    assert "This file was already dealt with: Imported." in page


def test_problems_are_listed_by_place_and_the_file_is_not_kept(staff_client, session):
    upload(staff_client, "workshop,session,text\r\nw-1,1,\r\nw-2,1,Card\r\n")
    batch = ImportBatch.objects.get()

    page = staff_client.get(reverse("reports:records_batch", args=[batch.pk])).content.decode()

    assert batch.status == "invalid"
    assert batch.content is None
    assert "2 problems: nothing was imported" in page
    assert [(p["sheet"], p["row"], p["letter"], p["column"]) for p in batch.problems] == [
        ("statements", 2, "C", "text"),
        ("statements", 3, "A", "workshop"),
    ]
    assert "No workshop “w-2” in the file or here." in page
    assert "Import the records" not in page
    assert Statement.objects.count() == 0


def test_discarding_keeps_nothing(staff_client, session):
    upload(staff_client, CARDS)
    batch = ImportBatch.objects.get()

    response = staff_client.post(reverse("reports:records_batch_discard", args=[batch.pk]))

    batch.refresh_from_db()
    assert response["Location"] == reverse("reports:records")
    assert (batch.status, batch.content) == ("discarded", None)
    staff_client.post(reverse("reports:records_batch_import", args=[batch.pk]))
    assert Statement.objects.count() == 0


def test_an_unconfirmed_file_is_forgotten_after_a_day(staff_client, session):
    upload(staff_client, CARDS)
    ImportBatch.objects.update(created_at=timezone.now() - dt.timedelta(days=1, minutes=1))

    upload(staff_client, CARDS)

    assert list(ImportBatch.objects.order_by("pk").values_list("status", flat=True)) == [
        "discarded",
        "checked",
    ]
    assert ImportBatch.objects.filter(content__isnull=False).count() == 1


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "cards.txt",
            "Upload an Excel workbook (.xlsx), a ZIP of CSV files (.zip) or a .csv file.",
        ),
    ],
)
def test_a_file_of_the_wrong_kind_is_refused_on_the_form(staff_client, name, message):
    response = upload(staff_client, CARDS, name=name)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert ImportBatch.objects.count() == 0


def test_a_file_too_large_is_refused_with_its_size(staff_client, settings):
    settings.RECORDS_IMPORT_MAX_BYTES = 50

    response = upload(staff_client, CARDS)

    assert response.status_code == 400
    assert "The file is 0.0 MB; at most 0 MB can be imported at once." in response.content.decode()


def test_the_import_reports_its_progress_under_the_pages_key(staff_client, session):
    key = "6a0c9a34-3bd8-4c1e-a4a4-29b8b2a3d6f1"
    upload(staff_client, CARDS)
    batch = ImportBatch.objects.get()

    staff_client.post(reverse("reports:records_batch_import", args=[batch.pk]), {"progress": key})
    response = staff_client.get(reverse("reports:records_progress", args=[key]))

    assert response.json() == {"stage": "done", "done": 1, "total": 1}
    assert cache.get(progress_key(key)) is not None
    unknown = staff_client.get(
        reverse("reports:records_progress", args=["00000000-0000-0000-0000-000000000000"])
    )
    assert unknown.status_code == 204


def test_export_downloads_a_phase_or_everything(staff_client):
    phase = ProjectPhaseFactory(slug="esmp-2")
    WorkshopFactory(phase=phase, reference="w-a")
    WorkshopFactory(reference="w-b")

    one = staff_client.get(reverse("reports:records_export"), {"phase": phase.pk, "format": "csv"})
    everything = staff_client.get(reverse("reports:records_export"), {"format": "csv"})

    assert one["Content-Disposition"] == 'attachment; filename="records-esmp-2.zip"'
    assert one["Cache-Control"] == "no-store"
    workshops = zipfile.ZipFile(io.BytesIO(one.content)).read("workshops.csv").decode()
    assert "w-a" in workshops and "w-b" not in workshops
    assert everything["Content-Disposition"] == 'attachment; filename="records-all.zip"'
    assert "w-b" in zipfile.ZipFile(io.BytesIO(everything.content)).read("workshops.csv").decode()


def test_export_with_a_bad_format_shows_the_form_again(staff_client):
    response = staff_client.get(reverse("reports:records_export"), {"format": "pdf"})

    assert response.status_code == 400
    assert "Select a valid choice. pdf is not one of the available choices." in (
        response.content.decode()
    )


def test_template_downloads(staff_client):
    xlsx = staff_client.get(reverse("reports:records_template", args=["xlsx"]))
    missing = staff_client.get(reverse("reports:records_template", args=["pdf"]))

    assert xlsx["Content-Disposition"] == 'attachment; filename="records-template.xlsx"'
    assert missing.status_code == 404


def _old_batch(user, problems: int) -> ImportBatch:
    problem = {"sheet": "statements", "row": 2, "column": "workshop", "letter": "A",
               "message": "No workshop “w-none” in the file or here."}  # fmt: skip
    return ImportBatch.objects.create(
        filename="big.xlsx",
        sha256="0" * 64,
        size_bytes=613_000,
        content=b"x" * 100_000,
        status=ImportBatch.Status.INVALID,
        problems=[problem] * problems,
        created_by=user,
    )


@pytest.mark.parametrize("batches", [1, 3])
def test_the_records_page_loads_no_batchs_problems_or_file(staff_client, staff_user, batches):
    # One batch that had stored 880,000 problems made every load of this page take 5.2 s.
    for _ in range(batches):
        _old_batch(staff_user, 20_000)

    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(reverse("reports:records"))

    listing = [q["sql"] for q in queries if 'FROM "reports_importbatch"' in q["sql"]]
    assert response.status_code == 200
    assert len(listing) == 1
    assert '"problems"' not in listing[0] and '"content"' not in listing[0]
    assert '"summary"' not in listing[0]
    assert len(queries) == 5
    assert response.content.decode().count("big.xlsx") == batches


def test_a_batch_whose_uploader_is_gone_is_listed_with_a_dash(staff_client, staff_user):
    batch = _old_batch(None, 1)

    page = staff_client.get(reverse("reports:records")).content.decode()

    assert f'<a href="{reverse("reports:records_batch", args=[batch.pk])}">big.xlsx</a>' in page
    assert "<td>—</td>" in page


def test_an_old_batch_shows_its_first_problems_and_counts_the_rest(staff_client, staff_user):
    # Batches checked before problems were capped kept them all.
    batch = _old_batch(staff_user, 1_000)

    with CaptureQueriesContext(connection) as queries:
        page = staff_client.get(reverse("reports:records_batch", args=[batch.pk])).content
    page = page.decode()

    assert "1000 problems: nothing was imported" in page
    assert page.count("No workshop “w-none” in the file or here.") == 200
    assert "The first 200 are listed, and 800 more problems were found." in page
    assert all('"content"' not in q["sql"] for q in queries)


def test_the_upload_form_states_the_limits(staff_client, settings):
    settings.RECORDS_IMPORT_MAX_BYTES = 20_000_000
    settings.RECORDS_IMPORT_MAX_ROWS = 12_000

    page = staff_client.get(reverse("reports:records")).content.decode()

    assert "At most 20 MB and 12,000 rows; split a larger file into parts." in page


def test_the_migration_keeps_an_old_batchs_first_200_problems_and_counts_the_rest(staff_user):
    cap = importlib.import_module("reports.migrations.0005_importbatch_problems_capped")
    big, small = _old_batch(staff_user, 1_000), _old_batch(staff_user, 3)

    cap.cap_problems(django_apps, None)

    big.refresh_from_db()
    small.refresh_from_db()
    assert (len(big.problems), big.summary) == (200, {"more_problems": 800})
    assert (len(small.problems), small.summary) == (3, {})
