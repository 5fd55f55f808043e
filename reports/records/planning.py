"""Planning an import: every sheet's rows checked and their references resolved, in order.

``Plan.resolve`` goes through the sheets in the order their records depend on one another
(phases, workshops, sessions, participants, categories, statements, dots, paper dots, notes,
then the user accounts they name), marking each row whose record is already here and recording
every problem by place. Nothing is written: writing.py writes the plan once it has no problem.
"""

import uuid
from collections import Counter, defaultdict

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from reports.records.comparing import compare_present
from reports.records.references import WORKSHOPS_KEPT, References, in_chunks, missing_category
from reports.records.rows import Row
from responses.models import Category, Dot, PaperDotTally, Participant, Statement
from responses.text import normalise_statement_text
from sessions.models import JOIN_CODE_ALPHABET, NoteRevision, PlenarySession, ProjectPhase, Workshop

# Statement keys for cards without one are derived from this namespace, so the same file gives
# the same keys every time it is imported.
STATEMENT_KEY_NAMESPACE = uuid.UUID("6f1d7f3e-5b0c-4c55-9a43-2f1c3c1b9e21")


class Plan(References):
    """The rows of every sheet, resolved against the file and the database."""

    # Each sheet in the order its records depend on one another.
    def resolve(self) -> None:
        self._phases()
        self._workshops()
        self._sessions()
        self._participants()
        self._categories()
        self._statements()
        self._dots()
        self._paper_dots()
        self._notes()
        self._users()
        compare_present(self)
        if self.more_notices:
            self.notices.append(
                _("And %(count)d more notes like these.") % {"count": self.more_notices}
            )

    def _phases(self) -> None:
        rows = [r for r in self.rows["phases"] if r.values["phase"]]
        named = [r.values["phase"] for r in rows + self.rows["workshops"] if r.values["phase"]]
        existing = {p.slug: p for p in in_chunks(ProjectPhase.objects.all(), "slug", named)}
        self.phases.update(existing)
        seen: set = set()
        for row in rows:
            slug = row.values["phase"]
            if not self._unique(row, slug, seen, "phase"):
                continue
            row.present = existing.get(slug)
            starts, ends = row.values["starts_on"], row.values["ends_on"]
            if starts and ends and ends < starts:
                self.check.add(row, "ends_on", _("The phase ends before it starts."))
            self.phases[slug] = row.present or row

    def _workshops(self) -> None:
        rows = [r for r in self.rows["workshops"] if r.values["workshop"]]
        named = (
            r.values.get(column)
            for sheet_rows in self.rows.values()
            for r in sheet_rows
            for column in ("workshop", "presented_from_workshop")
        )
        existing = {
            w.reference: w
            for w in in_chunks(
                Workshop.objects.select_related("phase"), "reference", filter(None, named)
            )
        }
        # Those not in the workshops sheet are found here when another sheet names them.
        self.workshops.update(existing)
        seen: set = set()
        for row in rows:
            ref = row.values["workshop"]
            if not self._unique(row, ref, seen, "workshop"):
                continue
            phase = self._phase(row, row.values["phase"], "phase")
            row.present = existing.get(ref)
            row.values["clash"] = bool(
                row.present and phase is not None and _slug(phase) != row.present.phase.slug
            )
            if row.values["clash"]:
                self.check.add(
                    row,
                    "workshop",
                    _("Workshop “%(ref)s” is already here, in phase “%(phase)s”.")
                    % {"ref": ref, "phase": row.present.phase.slug},
                )
            start, end = row.values["start_time"], row.values["end_time"]
            if start and end and end <= start:
                self.check.add(row, "end_time", _("The workshop ends before it starts."))
            self.usernames.update(row.values["facilitators"] or [])
            self.workshops[ref] = row.present or row

    def _sessions(self) -> None:
        rows = [r for r in self.rows["sessions"] if r.values["workshop"] and r.values["session"]]
        for row in rows:
            self._workshop(row, row.values["workshop"])
        self._existing_sessions({r.values["workshop"] for r in rows})
        codes = [r.values["join_code"] for r in rows if r.values["join_code"]]
        taken = dict(
            in_chunks(
                PlenarySession.objects.values_list("join_code", "workshop__reference"),
                "join_code",
                codes,
            )
        )
        seen: set = set()
        seen_codes: set = set()
        for row in rows:
            key = (row.values["workshop"], row.values["session"])
            if key[0] not in self.workshops or not self._unique(row, key, seen, "session"):
                continue
            found = self.sessions.get(key)
            row.present = found if isinstance(found, PlenarySession) else None
            code = (row.values["join_code"] or "").strip().upper()
            if code and (set(code) - set(JOIN_CODE_ALPHABET) or len(code) < 4):
                self.check.add(
                    row,
                    "join_code",
                    _("A join code is 4 to 12 letters and digits (no 0, O, 1, I)."),
                )
            elif row.present is None and code and (code in taken or code in seen_codes):
                self.notice(
                    _("Join code %(code)s is taken here; %(ref)s/%(position)d gets a new one.")
                    % {"code": code, "ref": key[0], "position": key[1]}
                )
                code = ""
            seen_codes.add(code)
            row.values["join_code"] = code
            self.sessions[key] = row.present or row

    def _participants(self) -> None:
        rows = [
            r for r in self.rows["participants"] if r.values["workshop"] and r.values["participant"]
        ]
        for row in rows:
            self._workshop(row, row.values["workshop"])
        self._existing_participants({r.values["workshop"] for r in rows})
        seen: set = set()
        for row in rows:
            key = (row.values["workshop"], row.values["participant"])
            if key[0] not in self.workshops or not self._unique(row, key, seen, "participant"):
                continue
            found = self.participants.get(key)
            row.present = found if isinstance(found, Participant) else None
            if row.values["consent_to_be_named"] and not row.values["consent_recorded_at"]:
                self.check.add(
                    row, "consent_recorded_at", _("Say when consent was given (it is recorded).")
                )
            if row.values["email"]:
                try:
                    validate_email(row.values["email"].strip())
                except ValidationError:
                    self.check.add(row, "email", _("This is not an e-mail address."))
            self.participants[key] = row.present or row

    def _categories(self) -> None:
        rows = [
            r
            for r in self.rows["categories"]
            if r.values["workshop"] and r.values["session"] and r.values["category"]
        ]
        for row in rows:
            self._session(row, row.values["workshop"], row.values["session"])
        self._existing_categories({(r.values["workshop"], r.values["session"]) for r in rows})
        seen: set = set()
        names: dict[tuple, set[str]] = defaultdict(set)
        for category in list(self.categories.values()):
            if isinstance(category, Category):
                names[(category.session.workshop.reference, category.session.position)].add(
                    category.name.casefold()
                )
        for row in rows:
            v = row.values
            session_key = (v["workshop"], v["session"])
            key = (*session_key, v["category"])
            if session_key not in self.sessions or not self._unique(row, key, seen, "category"):
                continue
            found = self.categories.get(key)
            row.present = found if isinstance(found, Category) else None
            if row.present is None and v["name"]:
                if v["name"].casefold() in names[session_key]:
                    self.check.add(
                        row, "name", _("Another category of this session has this name.")
                    )
                names[session_key].add(v["name"].casefold())
            self.categories[key] = row.present or row
        self._category_origins(rows)

    def _category_origins(self, rows: list[Row]) -> None:
        """A new category presented from another session's: that one exists, once per session."""
        sources: set = set()
        for row in rows:
            v = row.values
            origin = (
                v["presented_from_workshop"],
                v["presented_from_session"],
                v["presented_from_category"],
            )
            if not any(origin) or row.present is not None:
                continue
            if not all(origin):
                self.check.add(
                    row,
                    "presented_from_workshop",
                    _("Give the workshop, session and category it was presented from, or none."),
                )
                continue
            if origin[:2] == (v["workshop"], v["session"]):
                self.check.add(
                    row,
                    "presented_from_session",
                    _("A category cannot be presented from its own session."),
                )
                continue
            if self._session(row, origin[0], origin[1], "presented_from_session") is None:
                continue
            if origin not in self.categories:
                self._existing_categories({origin[:2]})
            if origin not in self.categories:
                self.check.add(
                    row,
                    "presented_from_category",
                    missing_category(*origin),
                )
                continue
            if (v["workshop"], v["session"], origin) in sources:
                self.check.add(
                    row,
                    "presented_from_category",
                    _("Another category of this session was presented from it."),
                )
            sources.add((v["workshop"], v["session"], origin))

    def _statements(self) -> None:
        rows = self._in_session(self.rows["statements"])
        occurrences: Counter = Counter()
        for row in rows:
            v = row.values
            if v["text"] is not None:
                v["text"] = normalise_statement_text(v["text"])
                if not v["text"]:
                    self.check.add(row, "text", _("The text is empty."))
            given = (v["statement"] or "").strip()
            v["derived"] = not given
            try:
                v["key"] = uuid.UUID(given)
            except ValueError:
                if given:
                    name = f"{v['workshop']}/{v['session']}/key/{given}"
                else:
                    occurrence = (v["workshop"], v["session"], v["text"])
                    occurrences[occurrence] += 1
                    name = (
                        f"{v['workshop']}/{v['session']}/text/{v['text']}/{occurrences[occurrence]}"
                    )
                v["key"] = uuid.uuid5(STATEMENT_KEY_NAMESPACE, name)
        existing = {
            s.idempotency_key: s
            for s in in_chunks(
                Statement.objects.select_related("session__workshop"),
                "idempotency_key",
                (r.values["key"] for r in rows),
            )
        }
        seen: set = set()
        for row in rows:
            v = row.values
            if not self._unique(row, v["key"], seen, "statement"):
                continue
            row.present = existing.get(v["key"])
            if row.present is not None:
                if (row.present.session.workshop.reference, row.present.session.position) != (
                    v["workshop"],
                    v["session"],
                ):
                    self.check.add(
                        row,
                        "statement",
                        _("A statement with this key is already here, in another session."),
                    )
                continue
            self._category(row, v["workshop"], v["session"], v["category"])
            self._participant(row, v["workshop"], v["participant"])
            if v["hidden"] and not (v["hidden_reason"] or "").strip():
                self.check.add(row, "hidden_reason", _("Say why the statement is hidden."))

    def _dots(self) -> None:
        rows = self._in_session(self.rows["dots"])
        for row in rows:
            v = row.values
            self._category(row, v["workshop"], v["session"], v["category"])
            self._participant(row, v["workshop"], v["participant"])
        in_db = in_chunks(Dot.objects.all(), "category", self._db_categories(rows))
        existing = {(d.category_id, d.participant_id): d for d in in_db}
        used: Counter = Counter()
        for participant_id, session_id, count in in_chunks(
            Dot.objects.values_list("participant_id", "session_id", "count"),
            "participant",
            (p for p in self.participants.values() if isinstance(p, Participant)),
        ):
            used[(participant_id, session_id)] += count
        seen: set = set()
        for row in rows:
            v = row.values
            key = (v["workshop"], v["session"], v["category"])
            category = self.categories.get(key)
            participant = self.participants.get((v["workshop"], v["participant"]))
            if category is None or participant is None or v["count"] is None:
                continue
            if not self._unique(row, (*key, v["participant"]), seen, "category"):
                continue
            if isinstance(category, Category) and isinstance(participant, Participant):
                row.present = existing.get((category.pk, participant.pk))
            if row.present is not None:
                continue
            session = self.sessions[(v["workshop"], v["session"])]
            stack = _session_setting(session, "dots_may_stack")
            limit = _session_setting(session, "dots_per_participant")
            if v["count"] > 1 and not stack:
                self.check.add(
                    row, "count", _("Dots do not stack in this session: one dot per category.")
                )
            holder = (
                (participant.pk, session.pk)
                if isinstance(participant, Participant) and isinstance(session, PlenarySession)
                else (id(participant), id(session))
            )
            used[holder] += v["count"]
            if used[holder] > limit:
                self.check.add(
                    row,
                    "count",
                    _("This participant would have more than the session's %(limit)d dots.")
                    % {"limit": limit},
                )

    def _paper_dots(self) -> None:
        rows = self._in_session(self.rows["paper_dots"])
        for row in rows:
            v = row.values
            self._category(row, v["workshop"], v["session"], v["category"])
        existing = {
            t.category_id: t
            for t in in_chunks(PaperDotTally.objects.all(), "category", self._db_categories(rows))
        }
        seen: set = set()
        for row in rows:
            v = row.values
            key = (v["workshop"], v["session"], v["category"])
            category = self.categories.get(key)
            if category is None or not self._unique(row, key, seen, "category"):
                continue
            if isinstance(category, Category):
                row.present = existing.get(category.pk)

    def _notes(self) -> None:
        rows = self._in_session(self.rows["notes"])
        sessions = [self.sessions[(r.values["workshop"], r.values["session"])] for r in rows]
        existing = {
            (n.session_id, n.number): n
            for n in in_chunks(
                NoteRevision.objects.all(),
                "session",
                (s for s in sessions if isinstance(s, PlenarySession)),
            )
        }
        seen: set = set()
        for row, session in zip(rows, sessions, strict=True):
            v = row.values
            if not v["revision"] or not self._unique(
                row, (v["workshop"], v["session"], v["revision"]), seen, "revision"
            ):
                continue
            if v["based_on"] and v["based_on"] >= v["revision"]:
                self.check.add(row, "based_on", _("A revision is written from an earlier one."))
            if isinstance(session, PlenarySession):
                row.present = existing.get((session.pk, v["revision"]))
            if v["author"]:
                self.usernames.add(v["author"])

    def _users(self) -> None:
        user_model = get_user_model()
        field = user_model.USERNAME_FIELD
        known = set(
            in_chunks(user_model.objects.values_list(field, flat=True), field, self.usernames)
        )
        self.new_accounts = sorted(self.usernames - known)
        if self.new_accounts:
            names = ", ".join(self.new_accounts[:WORKSHOPS_KEPT])
            if len(self.new_accounts) > WORKSHOPS_KEPT:
                names += " " + _("and %(count)d more") % {
                    "count": len(self.new_accounts) - WORKSHOPS_KEPT
                }
            self.notice(
                _("Accounts not found here are made inactive, without a password: %(names)s.")
                % {"names": names}
            )


def _slug(phase: Row | ProjectPhase) -> str:
    return phase.slug if isinstance(phase, ProjectPhase) else phase.values["phase"]


def _session_setting(session: Row | PlenarySession, name: str):
    if isinstance(session, PlenarySession):
        return getattr(session, name)
    return session.values[name]
