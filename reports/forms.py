from django import forms

from reports.models import ReportNarrative
from reports.narrative import SECTIONS


class NarrativeForm(forms.ModelForm):
    class Meta:
        model = ReportNarrative
        fields = [key for key, _ in SECTIONS]
        widgets = {key: forms.Textarea(attrs={"rows": 6}) for key, _ in SECTIONS}
