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
    # Made for each tap by the page (a fresh one comes with every answer); the same key sent
    # again changes nothing again. Optional: a form without one is simply applied.
    key = forms.UUIDField(required=False)


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


# --- Clustering: categories by the number people see before their names ----------------------

MOVE_BOX_PREFIX = "to-"  # a statement's number box on the clustering page: "to-<statement id>"
# The clustering page posts a list's boxes in forms of at most this many, well under Django's
# DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000), which would refuse a list of a thousand at once.
MOVE_GROUP_SIZE = 200


class IdListField(forms.Field):
    """Database ids posted as repeated values (``statement=4&statement=9``)."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": _("That statement is not in this session.")}

    def to_python(self, value) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        if not all(isinstance(v, str) and v.isascii() and v.isdigit() for v in values):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return [int(v) for v in values]


def _category_by_number(typed: str, numbers: dict, *, invalid: str, uncategorised: str = ""):
    """The category numbered ``typed`` in ``numbers`` (number → category), or None for 0.

    ``uncategorised`` is the refusal of 0 where Uncategorised makes no sense; empty allows it.
    """
    if not (typed.isascii() and typed.isdigit() and len(typed) <= 5):
        shown = typed if len(typed) <= 20 else f"{typed[:20]}…"
        raise forms.ValidationError(invalid, code="invalid", params={"typed": shown})
    number = int(typed)
    if number == 0:
        if uncategorised:
            raise forms.ValidationError(uncategorised, code="uncategorised")
        return None
    if number not in numbers:
        raise forms.ValidationError(
            _("There is no category %(number)d in this session."),
            code="unknown",
            params={"number": number},
        )
    return numbers[number]


def _category_by_id(session: PlenarySession, raw: str):
    category = None
    if raw.isascii() and raw.isdigit():
        category = session.categories.filter(pk=int(raw)).first()
    if category is None:
        raise forms.ValidationError(_("That category is not in this session."), code="other")
    return category


class StatementsMoveForm(forms.Form):
    """Statements to move, each to the category whose number was typed in its box.

    The clustering page posts a list's number boxes together (``to-<statement id>``, at most
    MOVE_GROUP_SIZE of them) and every box with a number moves its statement, 0 to
    Uncategorised; so Enter in any box, that statement's Move button, or a drop on a category all
    do the same. ``statement`` is the Move button pressed (Enter presses the list's first).
    ``cleaned_data["moves"]`` (statement id → category, or None) holds the boxes with a right
    number; ``box_errors`` (statement id → why) the others, whose statements stay where they are.
    Valid with at least one move to make.

    ``statement`` with ``category`` (a category's id, empty for Uncategorised) is what the page
    posted before it had number boxes; it is still accepted, so a page left open across an
    upgrade keeps working.
    """

    statement = IdListField(required=False)
    category = forms.CharField(required=False)

    def __init__(self, *args, session: PlenarySession, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.session = session
        self.typed: dict[int, str] = {}
        for key in self.data:
            pk = key.removeprefix(MOVE_BOX_PREFIX)
            if key.startswith(MOVE_BOX_PREFIX) and pk.isascii() and pk.isdigit():
                self.typed[int(pk)] = str(self.data[key]).strip()
        self.box_errors: dict[int, str] = {}

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.has_error("statement"):
            return cleaned
        pressed = cleaned.get("statement") or []
        typed = {pk: value for pk, value in self.typed.items() if value}
        moves = {}
        if typed:
            numbers = {c.reference_number: c for c in self.session.categories.all()}
            for pk, value in typed.items():
                try:
                    moves[pk] = _category_by_number(
                        value,
                        numbers,
                        invalid=_(
                            "“%(typed)s” is not a category number: type the number shown before "
                            "a category's name, or 0 for Uncategorised."
                        ),
                    )
                except forms.ValidationError as error:
                    self.box_errors[pk] = str(error.messages[0])
        elif pressed and self.add_prefix("category") in self.data:
            raw = cleaned.get("category", "")
            target = _category_by_id(self.session, raw) if raw else None
            moves = dict.fromkeys(pressed, target)
        else:
            message = str(_("Type the number of a category, or 0 for Uncategorised."))
            if pressed:
                self.box_errors[pressed[0]] = message
            raise forms.ValidationError(message, code="required")
        if not moves:
            raise forms.ValidationError(next(iter(self.box_errors.values())), code="invalid")
        cleaned["moves"] = moves
        return cleaned


class CategoryMergeForm(forms.Form):
    """Merge one category (by id, from the page) into another, by the number typed.

    ``into`` (the other category's id) is what the page posted before, still accepted.
    """

    category = forms.IntegerField(min_value=1)
    into_number = forms.CharField(required=False)
    into = forms.CharField(required=False)

    def __init__(self, *args, session: PlenarySession, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.session = session

    def clean(self) -> dict:
        cleaned = super().clean()
        typed = cleaned.get("into_number", "")
        try:
            if typed or self.add_prefix("into") not in self.data:
                if not typed:
                    raise forms.ValidationError(
                        _("Type the number of the category to merge into."), code="required"
                    )
                numbers = {c.reference_number: c for c in self.session.categories.all()}
                cleaned["target"] = _category_by_number(
                    typed,
                    numbers,
                    invalid=_(
                        "“%(typed)s” is not a category number: type the number shown before the "
                        "name of the category to merge into."
                    ),
                    uncategorised=_(
                        "A category cannot be merged into Uncategorised. To send its statements "
                        "back there, remove the category."
                    ),
                )
            else:
                cleaned["target"] = _category_by_id(self.session, cleaned.get("into", ""))
        except forms.ValidationError as error:
            self.add_error("into_number", error)
        return cleaned
