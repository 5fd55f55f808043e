from django import forms
from django.contrib.auth import get_user_model
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from sessions.models import AuditEvent, PlenarySession, ProjectPhase, Workshop
from sessions.roles import FACILITATORS_GROUP


class WorkshopForm(forms.ModelForm):
    class Meta:
        model = Workshop
        fields = [
            "phase",
            "title",
            "kind",
            "date",
            "start_time",
            "end_time",
            "venue",
            "description",
            "status",
            "practice",
            "attendance_people",
            "attendance_organisations",
        ]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "start_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "end_time": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "description": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, can_assign: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["phase"].queryset = ProjectPhase.objects.order_by("-starts_on", "title")
        if can_assign:
            # Staff decide who runs a workshop; facilitators cannot add or remove colleagues.
            self.fields["facilitators"] = forms.ModelMultipleChoiceField(
                label=_("Facilitators"),
                queryset=get_user_model()
                .objects.filter(groups__name=FACILITATORS_GROUP, is_active=True)
                .order_by("first_name", "last_name", "username"),
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text=_("They see and run this workshop."),
            )
            if self.instance.pk:
                self.initial["facilitators"] = list(self.instance.facilitators.all())

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_time"), cleaned.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("The workshop must end after it starts."))
        return cleaned


class SessionForm(forms.ModelForm):
    class Meta:
        model = PlenarySession
        fields = [
            "title",
            "prompt",
            "purpose",
            "writing_minutes",
            "dots_per_participant",
            "dots_may_stack",
        ]
        widgets = {"prompt": forms.Textarea(attrs={"rows": 3})}

    def clean_writing_minutes(self) -> int:
        minutes = self.cleaned_data["writing_minutes"]
        if not 1 <= minutes <= 120:
            raise forms.ValidationError(_("Choose between 1 and 120 minutes."))
        return minutes

    def clean_dots_per_participant(self) -> int:
        dots = self.cleaned_data["dots_per_participant"]
        if not 1 <= dots <= 20:
            raise forms.ValidationError(_("Choose between 1 and 20 dots."))
        return dots


class PhaseForm(forms.Form):
    phase = forms.ChoiceField(label=_("Phase"), choices=PlenarySession.Phase.choices)


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Notes"),
        required=False,
        strip=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 16}),
    )
    based_on = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class HistoryFilterForm(forms.Form):
    """The workshop history's filters, sent by GET so the page works without JavaScript."""

    session = forms.ModelChoiceField(
        label=_("Session"),
        queryset=PlenarySession.objects.none(),
        required=False,
        empty_label=_("All sessions"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    target = forms.ChoiceField(
        label=_("Record"),
        choices=[("", _("All records"))]
        + [(value, capfirst(label)) for value, label in AuditEvent.Target.choices],
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, workshop: Workshop, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["session"]
        field.queryset = workshop.sessions.order_by("position")
        # The session's own str() names its workshop too: one query per option.
        field.label_from_instance = lambda session: f"{session.position}. {session.title}"
