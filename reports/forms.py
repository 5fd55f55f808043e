from django import forms
from django.conf import settings
from django.utils.formats import number_format
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from reports import formats
from reports.models import Publication, ReportNarrative
from reports.narrative import SECTIONS
from reports.selectors import ReportScope
from sessions.models import ProjectPhase, Workshop


class NarrativeForm(forms.ModelForm):
    # Optional in the form: a blank field (or an older form without it) means 0, show everything.
    suppress_below = forms.IntegerField(
        label=_("Suppress groups smaller than"),
        required=False,
        min_value=0,
        max_value=1000,
        help_text=ReportNarrative._meta.get_field("suppress_below").help_text,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": _("Enter a whole number of participants, or 0 to show everything."),
            "min_value": _("Enter a whole number of participants, or 0 to show everything."),
            "max_value": _("Enter at most %(limit_value)s participants."),
        },
    )

    workshops = forms.ModelMultipleChoiceField(
        label=_("Workshops in this report"),
        queryset=Workshop.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The report's counts, tables, dates and appendices cover only the ticked workshops. "
            "Practice and pilot workshops are left out unless you tick them."
        ),
    )

    class Meta:
        model = ReportNarrative
        fields = [*(key for key, _label in SECTIONS), "suppress_below"]
        widgets = {key: forms.Textarea(attrs={"rows": 6}) for key, _label in SECTIONS}

    def __init__(self, *args, scope: ReportScope, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["workshops"]
        field.queryset = Workshop.objects.filter(
            pk__in=[w.pk for w in (*scope.included, *scope.left_out)]
        ).order_by("date", "start_time", "pk")
        field.label_from_instance = _workshop_choice_label
        self.initial.setdefault("workshops", [w.pk for w in scope.included])

    def clean_suppress_below(self) -> int:
        return self.cleaned_data["suppress_below"] or 0


def _workshop_choice_label(workshop: Workshop) -> str:
    label = f"{workshop.title} ({formats.day(workshop.date)})"
    if workshop.practice:
        return format_lazy("{} — {}", label, _("practice or pilot"))
    return label


class RecordsExportForm(forms.Form):
    phase = forms.ModelChoiceField(
        label=_("Records of"),
        queryset=ProjectPhase.objects.order_by("-starts_on", "title"),
        required=False,
        empty_label=_("All phases"),
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[
            ("xlsx", _("Excel workbook (.xlsx)")),
            ("csv", _("CSV files in a ZIP (.zip)")),
        ],
        initial="xlsx",
        widget=forms.RadioSelect,
    )


class RecordsUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Records file"),
        help_text=_(
            "An Excel workbook (.xlsx), a ZIP of CSV files (.zip), or one CSV file named after "
            "its sheet (e.g. statements.csv). It is checked first; nothing is imported until "
            "you confirm."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.zip,.csv"}),
        error_messages={"required": _("Choose a records file to upload.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The limits are settings, so they are stated as they are when the page is shown.
        self.fields["file"].help_text = format_lazy(
            "{} {}",
            self.fields["file"].help_text,
            _("At most %(size)s MB and %(rows)s rows; split a larger file into parts.")
            % {
                "size": number_format(round(settings.RECORDS_IMPORT_MAX_BYTES / 1e6)),
                "rows": number_format(settings.RECORDS_IMPORT_MAX_ROWS, force_grouping=True),
            },
        )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.RECORDS_IMPORT_MAX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is %(size)s MB; at most %(limit)s MB can be imported at once.")
                % {"size": round(upload.size / 1e6, 1), "limit": round(limit / 1e6)}
            )
        if not upload.name.lower().endswith((".xlsx", ".zip", ".csv")):
            raise forms.ValidationError(
                _("Upload an Excel workbook (.xlsx), a ZIP of CSV files (.zip) or a .csv file.")
            )
        return upload


class PublishForm(forms.Form):
    visibility = forms.ChoiceField(
        label=_("Who can find it"),
        choices=Publication.Visibility.choices,
        initial=Publication.Visibility.UNLISTED,
        widget=forms.RadioSelect,
    )
    new_link = forms.BooleanField(
        label=_("Give it a new link (the withdrawn link stays closed)"),
        required=False,
        help_text=_(
            "Otherwise the report is published again at its previous link, so the people it "
            "was sent to can read it again."
        ),
    )

    def __init__(self, *args, withdrawn_before: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not withdrawn_before:
            del self.fields["new_link"]


class WithdrawForm(forms.Form):
    # The publication the confirmation page showed: a withdrawal never ends a newer one.
    publication = forms.IntegerField(widget=forms.HiddenInput)
