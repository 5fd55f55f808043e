"""Converting a records file's cells: each by its column's kind, or a ``CellError`` saying why not.

A table maps each kind in the layout (``Column.kind``) to a small converter; a blank cell is
handled once for them all, by the column's ``required`` and ``default``.
"""

import re
from collections.abc import Callable
from datetime import date, datetime, time

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from reports.records.layout import Column
from sessions.text import uncell_text

KEY_PATTERN = re.compile(r"^[-a-zA-Z0-9_]+$")
KEY_MAX_LENGTH = 64
TRUE_WORDS = frozenset({"yes", "y", "true", "1", "x"})
FALSE_WORDS = frozenset({"no", "n", "false", "0"})


class CellError(Exception):
    pass


def cell_parse(column: Column, value: object) -> object:
    """The cell's value for its column; a blank cell gives the column's default."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if column.required:
            raise CellError(_("A value is needed."))
        # The models' text fields are never NULL: an empty text cell is an empty text.
        return "" if column.default is None and column.kind == "text" else column.default
    return CONVERTERS[column.kind](column, value)


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return uncell_text(str(value)).replace("\r\n", "\n").replace("\r", "\n")


def _text_cell(column: Column, value: object) -> str:
    text = _text(value)
    if column.max_length and len(text) > column.max_length:
        raise CellError(
            _("At most %(max)d characters; this has %(length)d.")
            % {"max": column.max_length, "length": len(text)}
        )
    return text


def _key_cell(column: Column, value: object) -> str:
    key = _text(value).strip()
    if not KEY_PATTERN.match(key) or len(key) > KEY_MAX_LENGTH:
        raise CellError(
            _("“%(value)s” is not a reference: use letters, digits, hyphens and underscores.")
            % {"value": key[:80]}
        )
    return key


def _choice_cell(column: Column, value: object) -> str:
    given = _text(value).strip()
    for choice in column.choices:
        if given.casefold() == choice.casefold():
            return choice
    for choice, label in column.labels:
        if given.casefold() == str(label).casefold():
            return choice
    allowed = ", ".join(choice or _("(blank)") for choice in column.choices)
    raise CellError(
        _("“%(value)s” is not one of: %(allowed)s.") % {"value": given[:80], "allowed": allowed}
    )


def _integer(value: object) -> int:
    if isinstance(value, bool):
        raise CellError(_("A whole number is needed."))
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = _text(value).strip()
    if re.fullmatch(r"[-+]?\d{1,9}", text):
        return int(text)
    raise CellError(_("“%(value)s” is not a whole number.") % {"value": text[:80]})


def _int_cell(column: Column, value: object) -> int:
    number = _integer(value)
    if column.minimum is not None and number < column.minimum:
        raise CellError(_("At least %(min)d.") % {"min": column.minimum})
    if column.maximum is not None and number > column.maximum:
        raise CellError(_("At most %(max)d.") % {"max": column.maximum})
    return number


def _bool_cell(column: Column, value: object) -> bool:
    if isinstance(value, bool):
        return value
    word = _text(value).strip().casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(_("Write yes or no."))


def _date_cell(column: Column, value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(_text(value).strip())
    except ValueError as error:
        raise CellError(_("Write the date as YYYY-MM-DD.")) from error


def _time_cell(column: Column, value: object) -> time:
    if isinstance(value, datetime):
        return value.time()
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(_text(value).strip())
    except ValueError as error:
        raise CellError(_("Write the time as HH:MM.")) from error


def _datetime_cell(column: Column, value: object) -> datetime:
    if not isinstance(value, datetime):
        try:
            value = datetime.fromisoformat(_text(value).strip())
        except ValueError as error:
            raise CellError(
                _("Write the time as YYYY-MM-DDTHH:MM:SSZ (or with an offset such as +01:00).")
            ) from error
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def _users_cell(column: Column, value: object) -> list[str]:
    names = [name.strip() for name in re.split(r"[,;]", _text(value)) if name.strip()]
    validator = UnicodeUsernameValidator()
    for name in names:
        try:
            validator(name)
        except ValidationError as error:
            raise CellError(_("“%(name)s” is not a user name.") % {"name": name[:80]}) from error
    return names


def _user_cell(column: Column, value: object) -> str:
    names = _users_cell(column, value)
    if len(names) != 1:
        raise CellError(_("One user name."))
    return names[0]


# Every kind the layout uses (layout.Column.kind), and how its cells are converted.
CONVERTERS: dict[str, Callable[[Column, object], object]] = {
    "text": _text_cell,
    "key": _key_cell,
    "choice": _choice_cell,
    "int": _int_cell,
    "bool": _bool_cell,
    "date": _date_cell,
    "time": _time_cell,
    "datetime": _datetime_cell,
    "users": _users_cell,
    "user": _user_cell,
}
