from django import forms
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from responses.models import STATEMENT_MAX_LENGTH, AgencyProject, Participant
from sessions.models import JOIN_CODE_LENGTH, PlenarySession


def normalise_join_code(raw: str) -> str:
    # People type codes read off a projector: accept lower case, spaces and dashes.
    return "".join(char for char in raw.upper() if char.isalnum())


class JoinCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Session code"),
        max_length=20,
        help_text=_("The six letters and numbers shown by the facilitator."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def clean_code(self) -> PlenarySession:
        code = normalise_join_code(self.cleaned_data["code"])
        if len(code) != JOIN_CODE_LENGTH:
            raise forms.ValidationError(
                _("A session code has %(length)d letters and numbers."),
                params={"length": JOIN_CODE_LENGTH},
            )
        session = PlenarySession.objects.filter(join_code=code).first()
        if session is None:
            raise forms.ValidationError(
                _("No session has the code %(code)s. Check it against the screen and try again."),
                code="unknown",
                params={"code": code},
            )
        return session


CONSENT_CHOICES = [
    ("no", _("No, keep my name out of reports")),
    ("yes", _("Yes, my name may appear in reports")),
]


class ProfileForm(forms.ModelForm):
    consent = forms.ChoiceField(
        label=_("May we name you in the workshop's report?"),
        choices=CONSENT_CHOICES,
        widget=forms.RadioSelect,
        help_text=_("Your statements are never shown with your name unless you say yes."),
    )

    class Meta:
        model = Participant
        fields = [
            "name",
            "organisation",
            "level_of_government",
            "role",
            "email",
            "consent_to_contact",
        ]
        labels = {
            "name": _("Your name (optional)"),
            "organisation": _("Organisation (optional)"),
            "level_of_government": _("Level of government (optional)"),
            "role": _("Role (optional)"),
            "email": _("E-mail (optional)"),
            "consent_to_contact": _("Tell me when the report is published (by e-mail)"),
        }
        help_texts = {
            "consent_to_contact": _(
                "One message to the address above, with a link to the report and a link to "
                "stop messages. Untick the box at any time."
            ),
        }
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "organisation": forms.TextInput(attrs={"autocomplete": "organization"}),
            "role": forms.TextInput(attrs={"autocomplete": "organization-title"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level_of_government"].choices = [
            ("", _("Prefer not to say")),
            *Participant.Level.choices,
        ]
        if self.instance.pk:
            self.initial.setdefault("consent", "yes" if self.instance.consent_to_be_named else "no")
        if self.instance.contact_opted_out_at:
            # Opting out (from the link in a message) ended the consent; ticking again renews it.
            self.fields["consent_to_contact"].help_text = _(
                "You asked for no more messages on %(date)s. Tick this again to be told after all."
            ) % {"date": date_format(localtime(self.instance.contact_opted_out_at))}

    def clean(self) -> dict:
        cleaned = super().clean()
        # Only an address that passed validation counts; an invalid one has its own error.
        wants_message = cleaned.get("consent_to_contact")
        if wants_message and not cleaned.get("email") and "email" not in self.errors:
            self.add_error(
                "consent_to_contact",
                _(
                    "To be told when the report is published, give your e-mail address "
                    "above, or untick this box."
                ),
            )
        return cleaned


class StatementForm(forms.Form):
    text = forms.CharField(
        label=_("Your answer"),
        max_length=STATEMENT_MAX_LENGTH * 2,  # the real limit applies after tidying
        strip=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": STATEMENT_MAX_LENGTH}),
        error_messages={"required": _("Write something on the card first.")},
    )
    use = forms.ChoiceField(
        label=_("Is this about use inside government or with the public?"),
        choices=[
            ("", _("Not marked")),
            ("E", _("External (E): with the public")),
            ("I", _("Internal (I): inside government")),
        ],
        required=False,
        widget=forms.RadioSelect,
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)


class StatementEditForm(forms.Form):
    text = StatementForm.base_fields["text"]
    use = StatementForm.base_fields["use"]


class DotForm(forms.Form):
    category = forms.IntegerField(min_value=1)
    action = forms.ChoiceField(choices=[("place", "place"), ("remove", "remove")])


class PaperDotsForm(forms.Form):
    """The dots counted on a paper wall chart: a total per category (blank: none) and a note.

    Typed as text with a numeric keyboard rather than ``type=number``, so whatever was typed is
    shown again beside its error message.
    """

    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=300,
        required=False,
        help_text=_("Saved with every total, e.g. who counted and from which chart."),
    )

    def __init__(self, *args, categories, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.categories = list(categories)
        note = self.fields.pop("note")
        for category in self.categories:
            message = _(
                "Paper dots for “%(name)s”: enter a whole number from 0 to 100,000, or leave it "
                "blank for none."
            ) % {"name": category.name}
            self.fields[self.field_name(category)] = forms.IntegerField(
                label=f"{category.reference_number}. {category.name}",
                required=False,
                min_value=0,
                max_value=100000,
                widget=forms.TextInput(
                    attrs={
                        "inputmode": "numeric",
                        "autocomplete": "off",
                        "class": "form-control",
                        "size": 7,
                    }
                ),
                error_messages={"invalid": message, "min_value": message, "max_value": message},
            )
        self.fields["note"] = note
        note.widget.attrs["class"] = "form-control"

    @staticmethod
    def field_name(category) -> str:
        return f"paper_{category.pk}"

    def rows(self) -> list[tuple]:
        """(category, bound field) per category, in the categories' order, for the table."""
        rows = []
        for category in self.categories:
            field = self[self.field_name(category)]
            if field.errors:
                field.field.widget.attrs["class"] = "form-control is-invalid"
            rows.append((category, field))
        return rows

    def totals(self) -> dict[int, int | None]:
        """Category id → total (None: remove) for each category the submitted form held.

        A category created after the page was loaded has no field in the submission, and its
        total (perhaps recorded by someone else meanwhile) is left as it is.
        """
        return {
            category.pk: self.cleaned_data[self.field_name(category)]
            for category in self.categories
            if self.add_prefix(self.field_name(category)) in self.data
        }


def _project_max_length(name: str) -> int:
    return AgencyProject._meta.get_field(name).max_length


class AgencyProjectForm(forms.Form):
    """A participant's description of their organisation's social media project.

    A contact is optional and needs its own consent: a contact without the box ticked is
    refused with a message, never dropped without a word.
    """

    organisation = forms.CharField(
        label=_("Organisation"),
        max_length=_project_max_length("organisation"),
        help_text=_("The agency or office that runs or plans the project."),
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
        error_messages={"required": _("Name the organisation.")},
    )
    platform = forms.CharField(
        label=_("Tool or platform"),
        max_length=_project_max_length("platform"),
        help_text=_("E.g. Twitter, a blog, YouTube, a wiki."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"required": _("Name the tool or platform.")},
    )
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=_project_max_length("purpose"),
        help_text=_("What the project is for and whom it reaches."),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Say what the project is for.")},
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=AgencyProject.Status.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose existing or planned.")},
    )
    contact_name = forms.CharField(
        label=_("Contact name (optional)"),
        max_length=_project_max_length("contact_name"),
        required=False,
        help_text=_("Someone others may ask about the project. If it is not you, ask them first."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    contact_email = forms.EmailField(
        label=_("Contact e-mail (optional)"),
        max_length=_project_max_length("contact_email"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    contact_consent = forms.BooleanField(
        label=_(
            "Share this contact. Who sees it: this workshop's facilitators and staff, who "
            "review the entry; and, once it is approved and the workshop is completed, this "
            "workshop's participants, on the shared list and in its downloads."
        ),
        required=False,
        help_text=_("Never in the summary report. Without this box ticked, no contact is kept."),
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def clean(self) -> dict:
        cleaned = super().clean()
        has_contact = bool(cleaned.get("contact_name") or cleaned.get("contact_email"))
        if has_contact and not cleaned.get("contact_consent"):
            self.add_error(
                "contact_consent",
                _(
                    "You gave a contact but did not tick the box to share it. Tick it to share "
                    "the contact, or clear the contact name and e-mail: a contact is kept only "
                    "with consent."
                ),
            )
        elif (
            cleaned.get("contact_consent")
            and not has_contact
            and not self.has_error("contact_email")
        ):
            self.add_error(
                "contact_name",
                _("Give a contact name or e-mail to share, or untick the box below."),
            )
        return cleaned


class ProjectReviewForm(forms.Form):
    """A facilitator's decision on one entry of their workshop (checked by the view)."""

    project = forms.IntegerField(min_value=1)
    decision = forms.ChoiceField(
        choices=[
            (AgencyProject.Review.APPROVED, _("Approve")),
            (AgencyProject.Review.REJECTED, _("Don't share")),
        ]
    )


# --- Clustering: a category given by the number people see before its name -------------------

UNCATEGORISED_NUMBER = "0"


class IdListField(forms.Field):
    """Database ids posted as repeated values (``statement=4&statement=9``)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        if not all(isinstance(v, str) and v.isascii() and v.isdigit() for v in values):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return [int(v) for v in values]


def _quoted(typed: str) -> str:
    return typed if len(typed) <= 20 else f"{typed[:20]}…"


class _CategoryTargetForm(forms.Form):
    """Where statements go: a category of ``session``, by its reference number as typed.

    The page sends the number (``number_field``), which is what facilitators see and say in the
    room; ``0`` stands for Uncategorised where that makes sense. A category's id
    (``id_field``), which the page sent before, is still accepted, so a page left open across an
    upgrade keeps working. ``cleaned_data["target"]`` is the category, or None for Uncategorised.
    """

    number_field = "number"
    id_field = "category"
    uncategorised_allowed = True
    messages: dict = {}

    def __init__(self, *args, session: PlenarySession, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.session = session
        self.fields[self.number_field] = forms.CharField(label=_("Category number"), required=False)
        self.fields[self.id_field] = forms.CharField(required=False)

    @property
    def typed(self) -> str:
        """What was typed in the number box, to show it again beside its error."""
        return str(self.data.get(self.add_prefix(self.number_field), ""))

    def clean(self) -> dict:
        cleaned = super().clean()
        posted_id = self.add_prefix(self.id_field) in self.data
        by_number = self.add_prefix(self.number_field) in self.data or not posted_id
        try:
            if by_number:
                cleaned["target"] = self._by_number(cleaned.get(self.number_field, ""))
            else:
                cleaned["target"] = self._by_id(cleaned.get(self.id_field, ""))
        except forms.ValidationError as error:
            self.add_error(self.number_field, error)
        return cleaned

    def _by_number(self, typed: str):
        if not typed:
            raise forms.ValidationError(self.messages["required"], code="required")
        if not (typed.isascii() and typed.isdigit() and len(typed) <= 5):
            raise forms.ValidationError(
                self.messages["invalid"], code="invalid", params={"typed": _quoted(typed)}
            )
        if typed.lstrip("0") == "":
            if not self.uncategorised_allowed:
                raise forms.ValidationError(self.messages["uncategorised"], code="uncategorised")
            return None
        category = self.session.categories.filter(reference_number=int(typed)).first()
        if category is None:
            raise forms.ValidationError(
                _("There is no category %(number)d in this session."),
                code="unknown",
                params={"number": int(typed)},
            )
        return category

    def _by_id(self, raw: str):
        if not raw and self.uncategorised_allowed:
            return None
        category = None
        if raw.isascii() and raw.isdigit():
            category = self.session.categories.filter(pk=int(raw)).first()
        if category is None:
            raise forms.ValidationError(
                _("That category is not in this session."), code="other_session"
            )
        return category


class StatementsMoveForm(_CategoryTargetForm):
    """Move statements (the page sends one) to a category by number; 0 is Uncategorised."""

    statement = IdListField(error_messages={"required": _("Choose a statement to move.")})
    messages = {
        "required": _("Type the number of a category, or 0 for Uncategorised."),
        "invalid": _(
            "“%(typed)s” is not a category number: type the number shown before a category's "
            "name, or 0 for Uncategorised."
        ),
    }


class CategoryMergeForm(_CategoryTargetForm):
    """Merge one category (by id, from the page) into another given by its number."""

    number_field = "into_number"
    id_field = "into"
    uncategorised_allowed = False
    category = forms.IntegerField(min_value=1)
    messages = {
        "required": _("Type the number of the category to merge into."),
        "invalid": _(
            "“%(typed)s” is not a category number: type the number shown before the name of the "
            "category to merge into."
        ),
        "uncategorised": _(
            "A category cannot be merged into Uncategorised. To send its statements back there, "
            "remove the category."
        ),
    }
