"""Illustrative sample data: a workshop series shaped like CTG's Exploratory Social Media Project.

The phase, its three workshops, their sessions, participants, statements, categories and dots
follow the structure of the 2009 Phase I workshops and use the state workshop's category names,
but every figure, statement and participant here is made up for demonstration: they are not the
2009 records.

``sample_data_load`` is deterministic (one ``random.Random(2009)``), idempotent (it does nothing
when the phase already exists, unless asked to reset) and, when asked, sets up two demo accounts
whose passwords are fixed and documented: they are only ever created with DEBUG on.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from reports.models import ReportNarrative
from responses.models import Category, Dot, Participant, Statement
from sessions.models import NoteRevision, PlenarySession, ProjectPhase, Workshop
from sessions.roles import user_grant_role

SAMPLE_PHASE_SLUG = "esmp-phase-1"
SAMPLE_SEED = 2009
DOTS_EACH = 4

# The workshops were held in Albany, New York.
VENUE_TZ = ZoneInfo("America/New_York")

DEMO_FACILITATOR_USERNAME = "facilitator"
DEMO_FACILITATOR_PASSWORD = "facilitate-2009"  # noqa: S105 - documented, DEBUG-only demo login
DEMO_STAFF_USERNAME = "staff"
DEMO_STAFF_PASSWORD = "report-2009"  # noqa: S105 - documented, DEBUG-only demo login

ILLUSTRATIVE = (
    "Sample data: the figures, statements and participants are illustrative, "
    "not the real 2009 records."
)
SAMPLE_MARK = "*Sample text for demonstration. The figures are illustrative, not the 2009 records.*"

VALUES_PROMPT = "What value can your agency gain from using social media tools?"
CONCERNS_PROMPT = (
    "What are the most pressing questions/concerns/challenges that your agency is facing "
    "in regards to social media tools?"
)
INTERNAL_PROMPT = (
    "1. What area of government social media use is most pertinent to our expertise and "
    "interests?\n"
    "2. Where do we see gaps in the current literature?"
)


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str


@dataclass(frozen=True)
class SampleDataResult:
    """What a load did: whether it created the phase, row counts, and the demo logins if any."""

    phase: ProjectPhase
    created: bool
    # Whether an existing copy of the phase was deleted first.
    reset: bool
    counts: dict[str, int] = field(default_factory=dict)
    demo_logins: tuple[DemoLogin, ...] = ()


@dataclass(frozen=True)
class _CategorySpec:
    name: str
    description: str
    # (text, use) pairs; use is "", "E" or "I".
    statements: tuple[tuple[str, str], ...]


# --- The state workshop's lists, in the order of the 2009 report ------------------------------

VALUE_CATEGORIES: tuple[_CategorySpec, ...] = (
    _CategorySpec(
        "Greater competitiveness in employee recruiting",
        "Social media helps agencies reach and attract younger job seekers, who expect to find "
        "employers online.",
        (
            (
                "Reach recent graduates where they already spend their time when we post openings.",
                "E",
            ),
            ("Show prospective employees what working for the state is really like.", ""),
            ("Compete with private employers for IT staff who expect these tools at work.", "I"),
            ("Announce civil service exams where younger candidates will actually see them.", "E"),
        ),
    ),
    _CategorySpec(
        "Enhanced access for disabled",
        "Alternative channels and formats can make agency information easier to reach for "
        "people with disabilities.",
        (
            ("Captioned video can reach deaf and hard-of-hearing constituents.", "E"),
            (
                "Homebound clients get another way to ask questions without coming to an office.",
                "E",
            ),
            ("Offer the same information in more than one format, audio as well as print.", ""),
        ),
    ),
    _CategorySpec(
        "Creation of virtual communities",
        "The tools let people with a shared interest, inside or outside government, form lasting "
        "groups around an agency's programs.",
        (
            ("Connect caregivers across the state so they can support one another.", "E"),
            ("Build a community of practice among our county program coordinators.", "I"),
            ("Grantees could share lessons with each other, not only through us.", ""),
            ("Stay in touch with volunteers between events.", "E"),
        ),
    ),
    _CategorySpec(
        "Information dissemination and exchange",
        "Getting agency information to the public and partners, and hearing back from them, "
        "through channels they already use.",
        (
            (
                "Push program updates to people instead of waiting for them to visit our website.",
                "E",
            ),
            (
                "Get comments on draft regulations from people who would never attend a hearing.",
                "E",
            ),
            ("Reach audiences who no longer read newspapers or press releases.", ""),
            ("A two-way conversation with the public rather than one-way announcements.", ""),
            ("Share best practices with other state agencies.", "I"),
        ),
    ),
    _CategorySpec(
        "Enhanced public safety",
        "Fast, wide-reaching alerts and situational information before, during and after "
        "emergencies.",
        (
            ("Send road closure and severe weather alerts straight to travelers' phones.", "E"),
            ("Tell people where shelters and supplies are during an emergency.", "E"),
            ("Collect reports and photos from the public at the scene of an incident.", ""),
            ("Get health advisories such as H1N1 guidance out within the hour.", "E"),
        ),
    ),
    _CategorySpec(
        "Enhanced collaboration",
        "Working together across units, agencies and levels of government without being in the "
        "same room.",
        (
            ("Co-edit documents with regional offices instead of e-mailing versions around.", "I"),
            ("A wiki for the interagency workgroup so drafts and decisions are in one place.", "I"),
            ("Easier joint work with local governments and non-profits on shared programs.", ""),
            ("Find colleagues in other agencies who have already solved the same problem.", "I"),
        ),
    ),
    _CategorySpec(
        "Instantaneous information sharing",
        "Information reaches staff and the public the moment it is posted, not at the end of a "
        "publication cycle.",
        (
            ("Correct misinformation within minutes instead of the next day.", "E"),
            ("Field staff can post updates from their phones as things happen.", "I"),
            ("No waiting in the web team's queue to get an announcement posted.", ""),
        ),
    ),
    _CategorySpec(
        "Improved training capabilities",
        "Shared video, webinars and online discussion extend training to staff who cannot travel.",
        (
            ("Record a training session once and let staff watch it when they can.", "I"),
            ("Staff in regional offices can join training without travel costs.", "I"),
            ("A discussion board where trainees can keep asking questions after the course.", ""),
        ),
    ),
    _CategorySpec(
        "Coolness factor",
        "Using current tools makes the agency look modern and approachable, especially to "
        "younger people.",
        (
            ("Shows the agency is current and not stuck in the past.", "E"),
            ("Younger staff are excited to use tools they already know.", ""),
            ("Makes government seem more approachable.", "E"),
        ),
    ),
    _CategorySpec(
        "Cost savings",
        "Free or low-cost tools can replace some printing, postage, travel and hosting costs.",
        (
            ("Cut printing and postage for our newsletters.", "E"),
            ("Hold meetings online instead of paying for travel to Albany.", "I"),
            ("Free video hosting instead of buying streaming capacity.", ""),
            ("Fewer calls to the help line if answers are posted where people look.", "E"),
        ),
    ),
    _CategorySpec(
        "Documentation",
        "Posts, wikis and discussion threads leave a searchable record of decisions and know-how.",
        (
            ("Capture the knowledge of staff who are about to retire.", "I"),
            ("A searchable record of what was discussed and decided.", "I"),
            ("Keep a history of the questions the public asks us and the answers we gave.", ""),
        ),
    ),
)

CONCERN_CATEGORIES: tuple[_CategorySpec, ...] = (
    _CategorySpec(
        "Resources",
        "Staff time, skills and money to set up, monitor and keep social media channels current.",
        (
            ("Who will monitor our pages after hours and on weekends?", ""),
            ("We have no staff to spare for keeping content fresh.", ""),
            ("There is no budget line for this; it would come out of existing programs.", ""),
            ("Staff need training before they can use these tools well.", "I"),
            ("Once you start, the public expects constant updates.", "E"),
        ),
    ),
    _CategorySpec(
        "Legal and regulatory ramifications",
        "Records retention, freedom of information, terms of service and the other legal "
        "obligations that apply to content on third-party sites.",
        (
            ("Are comments on our Facebook page public records that we must retain?", "E"),
            (
                "Free sites' terms of service clash with state contract rules on indemnification.",
                "",
            ),
            ("How do FOIL requests apply to content we post on sites we don't control?", ""),
            ("Are we liable if we remove a citizen's comment? Is that a free-speech issue?", "E"),
        ),
    ),
    _CategorySpec(
        "Governance",
        "Who decides, who may post on behalf of the agency, and the policies that guide use.",
        (
            ("Who is allowed to speak for the agency online?", "E"),
            ("We need an agency-wide policy before programs start their own pages.", ""),
            ("Who approves posts, and how fast can approval happen?", ""),
            ("What is the policy on staff using social media on work time?", "I"),
        ),
    ),
    _CategorySpec(
        "Making a business case",
        "Showing leadership what the agency gains, and measuring it, to justify the investment.",
        (
            ("How do we measure success or return on investment?", ""),
            ("Executive management sees it as a waste of time.", ""),
            ("We need examples from other agencies that show results.", ""),
        ),
    ),
    _CategorySpec(
        "Security",
        "Risks to agency networks and information from third-party sites, malicious software and "
        "misuse of accounts.",
        (
            ("Social networking sites are a route for viruses and phishing into our network.", "I"),
            ("Our firewall blocks these sites, so staff cannot even look at them at work.", "I"),
            ("Staff could post confidential information by accident.", ""),
            ("What happens if the agency's account is hacked?", "E"),
        ),
    ),
    _CategorySpec(
        "Accessibility",
        "Making sure content on social media sites can be used by people with disabilities and by "
        "people without broadband.",
        (
            ("Many social media sites don't meet the state's accessibility standards.", "E"),
            ("Rural residents without broadband would be left out.", "E"),
            ("Every video would need captions, which takes time and money.", ""),
        ),
    ),
    _CategorySpec(
        "Perception",
        "How the public, the press and elected officials see an agency that uses social media.",
        (
            ("The public may think staff are wasting time on Facebook.", "E"),
            ("Negative comments on our own page could embarrass the agency.", "E"),
            ("It may look as if the agency endorses a commercial site.", ""),
        ),
    ),
    _CategorySpec(
        "Information overload",
        "Too much information to read, sort and answer, for staff and for the public.",
        (
            ("Staff can't keep up with e-mail as it is; this adds another channel.", "I"),
            ("How do we find the useful comments among hundreds of posts?", ""),
            ("The public can get lost among too many agency pages and feeds.", "E"),
        ),
    ),
)

# One concern card repeats another; it is kept, hidden, to show moderation.
HIDDEN_CONCERN = (0, "Who will watch the pages at night and on weekends?")
HIDDEN_REASON = "Duplicate of another card"

# Illustrative dot totals (23 participants x 4 dots = 92). Ranking clear, with one tie (4th).
STATE_CONCERN_DOTS: tuple[int, ...] = (19, 16, 14, 12, 12, 8, 7, 4)
# Illustrative local totals (30 participants x 4 dots = 120), in the state lists' order. The
# local concern ranking differs in a few places: security rises to second, legal issues fall to
# fourth, and perception and accessibility change places.
LOCAL_VALUE_DOTS: tuple[int, ...] = (4, 7, 10, 21, 15, 13, 18, 9, 2, 16, 5)
LOCAL_CONCERN_DOTS: tuple[int, ...] = (26, 16, 18, 13, 21, 8, 11, 7)

# (organisation, how many people came from it)
STATE_AGENCIES: tuple[tuple[str, int], ...] = (
    ("Department of Health", 2),
    ("Office of Mental Health", 2),
    ("Department of Transportation", 2),
    ("Department of Environmental Conservation", 1),
    ("Department of Labor", 2),
    ("Office of Children and Family Services", 1),
    ("Department of Taxation and Finance", 1),
    ("Division of State Police", 1),
    ("State Emergency Management Office", 2),
    ("Department of State", 1),
    ("Office for Technology", 2),
    ("Department of Motor Vehicles", 1),
    ("State Education Department", 1),
    ("Office of General Services", 1),
    ("Department of Agriculture and Markets", 1),
    ("Office of Temporary and Disability Assistance", 1),
)
NYS_FORUM = "NYS Forum"
# Made-up people who agreed to be named: (organisation, name, role).
NAMED_STATE_PARTICIPANTS: tuple[tuple[str, str, str], ...] = (
    ("Department of Health", "Morgan Whitlock", "Public information officer"),
    ("Office for Technology", "Ravi Castellano", "Web services manager"),
    (NYS_FORUM, "Terry Okonkwo-Hale", "Program coordinator"),
)

LOCAL_GOVERNMENTS: tuple[tuple[str, int], ...] = (
    ("County of Eastbrook", 2),
    ("County of Northfield", 2),
    ("County of Pine Hollow", 1),
    ("County of Stonebridge", 2),
    ("County of Larkspur", 1),
    ("County of Maple Run", 2),
    ("Town of Alder Falls", 1),
    ("Town of Cedar Ridge", 2),
    ("Town of Birchwood", 1),
    ("Town of Fox Hollow", 1),
    ("Town of Greyrock", 2),
    ("Town of Hazel Creek", 1),
    ("Town of Juniper Lake", 1),
    ("Town of Millers Crossing", 1),
    ("Town of Oakvale", 2),
    ("Town of Quarry Hill", 1),
    ("Town of Willow Bend", 1),
    ("City of Harlow Springs", 2),
    ("City of Riverton Falls", 1),
    ("Village of Elm Point", 2),
    ("Village of Sandy Shore", 1),
)

INTERNAL_NOTES_1 = """\
Internal discussion, CTG staff. Sample notes (illustrative).

Q1. Most pertinent to our expertise and interests
- Social media in government as an information-sharing and collaboration question, not a
  technology one.
- Policy and governance: who speaks for an agency, records retention, acceptable use.
- Builds on our earlier work on sharing information across agencies.

Q2. Gaps in the current literature
- Most of what is written comes from vendors and practitioners' blogs; little systematic research.
- Almost nothing specific to state and local government.
"""

INTERNAL_NOTES_2 = (
    INTERNAL_NOTES_1
    + """\
- Little on how an agency would judge value or make a business case.

Next steps
- Workshop with state agency professionals in September: two plenary sessions, values and
  concerns, four dots each on the concerns.
- Take the two resulting lists to the local government IT directors' conference in October and
  ask them to rank both.
"""
)

NARRATIVE: dict[str, str] = {
    "abstract": (
        f"{SAMPLE_MARK}\n\n"
        "This report summarises the first phase of an exploratory project on the use of social "
        "media in government. State and local government professionals described the value they "
        "expect from social media tools and ranked the concerns that hold their agencies back."
    ),
    "introduction": (
        f"{SAMPLE_MARK}\n\n"
        "Government agencies are being asked to use blogs, wikis and social networking sites, "
        "often before they have policies for them. This phase set out to hear from the people "
        "who would have to make these tools work, in their own words."
    ),
    "project_overview": (
        f"{SAMPLE_MARK}\n\n"
        "The project explores the benefits and concerns surrounding social media in government. "
        "Phase I identifies them; later phases take up the most pressing concerns in depth."
    ),
    "project_design": (
        f"{SAMPLE_MARK}\n\n"
        "Phase I had three activities between July and October 2009: an internal discussion "
        "among staff, a workshop with state agency professionals, and a ranking exercise with "
        "local government IT directors."
    ),
    "workshops_framing": (
        f"{SAMPLE_MARK}\n\n"
        "Social media was framed broadly as collaborative, social networking and communication "
        "tools, used either **externally** with the public and partners (E) or **internally** "
        "among staff (I)."
    ),
    "concluding_remarks": (
        f"{SAMPLE_MARK}\n\n"
        "State and local participants largely agreed on what concerns them most, with security "
        "weighing more heavily at the local level. Phase II will centre on the eight areas of "
        "concern identified here."
    ),
    "appendix_c": (
        f"{SAMPLE_MARK}\n\n"
        "The Exploratory Social Media Project brings together government professionals to "
        "identify how social media can serve their agencies, what stands in the way, and which "
        "questions research should answer first."
    ),
}


# --- Helpers ----------------------------------------------------------------------------------


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=VENUE_TZ)


def _key(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _dot_allocation(
    *, rng: random.Random, participants: int, totals: Sequence[int], dots_each: int
) -> list[list[int]]:
    """For each participant, the indices of the categories they dot (one dot each, no stacking).

    Each participant takes the categories with the most dots still to place (ties broken at
    random). With equal dots per participant this greedy order always reaches the totals exactly
    when they are reachable at all (Gale-Ryser), and the check below makes sure it did.
    """
    if sum(totals) != participants * dots_each or max(totals) > participants:
        raise ValueError("dot totals cannot be reached by these participants")
    remaining = list(totals)
    allocation: list[list[int]] = []
    for _ in range(participants):
        order = sorted(range(len(remaining)), key=lambda i: (-remaining[i], rng.random()))
        chosen = sorted(order[:dots_each])
        for i in chosen:
            remaining[i] -= 1
        allocation.append(chosen)
    if any(remaining):
        raise RuntimeError("dot allocation did not reach the totals")
    rng.shuffle(allocation)
    return allocation


def _demo_accounts_ensure(*, phase: ProjectPhase) -> tuple[DemoLogin, ...]:
    user_model = get_user_model()

    def account(username: str, first: str, last: str, password: str) -> AbstractBaseUser:
        user, _ = user_model.objects.get_or_create(username=username)
        user.first_name = first
        user.last_name = last
        user.is_active = True
        user.set_password(password)
        user.save()
        return user

    facilitator = account(
        DEMO_FACILITATOR_USERNAME, "Dana", "Facilitator", DEMO_FACILITATOR_PASSWORD
    )
    user_grant_role(user=facilitator, role="facilitator")
    facilitator.facilitated_workshops.add(
        *Workshop.objects.filter(phase=phase, kind__in=[Workshop.Kind.STATE, Workshop.Kind.LOCAL])
    )
    staff = account(DEMO_STAFF_USERNAME, "Sam", "Analyst", DEMO_STAFF_PASSWORD)
    user_grant_role(user=staff, role="staff")
    return (
        DemoLogin("facilitator", DEMO_FACILITATOR_USERNAME, DEMO_FACILITATOR_PASSWORD),
        DemoLogin("staff", DEMO_STAFF_USERNAME, DEMO_STAFF_PASSWORD),
    )


def _phase_delete(phase: ProjectPhase) -> None:
    """Delete a phase and everything under it.

    Workshop.phase and Category.presented_from are PROTECT, so the rows are removed from the
    leaves up: the local categories (which point at the state ones) before any other category.
    """
    in_phase = {"session__workshop__phase": phase}
    Dot.objects.filter(**in_phase).delete()
    Statement.objects.filter(**in_phase).delete()
    NoteRevision.objects.filter(**in_phase).delete()
    Category.objects.filter(**in_phase, presented_from__isnull=False).delete()
    Category.objects.filter(**in_phase).delete()
    Participant.objects.filter(workshop__phase=phase).delete()
    PlenarySession.objects.filter(workshop__phase=phase).delete()
    Workshop.objects.filter(phase=phase).delete()
    ReportNarrative.objects.filter(phase=phase).delete()
    phase.delete()


def _phase_counts(phase: ProjectPhase) -> dict[str, int]:
    in_phase = {"session__workshop__phase": phase}
    return {
        "workshops": Workshop.objects.filter(phase=phase).count(),
        "sessions": PlenarySession.objects.filter(workshop__phase=phase).count(),
        "participants": Participant.objects.filter(workshop__phase=phase).count(),
        "categories": Category.objects.filter(**in_phase).count(),
        "statements": Statement.objects.filter(**in_phase).count(),
        "dots": sum(Dot.objects.filter(**in_phase).values_list("count", flat=True)),
        "note_revisions": NoteRevision.objects.filter(**in_phase).count(),
    }


def _participants_create(
    *,
    workshop: Workshop,
    organisations: Sequence[tuple[str, int]],
    level: str,
    level_by_organisation: Mapping[str, str] | None = None,
    named: Sequence[tuple[str, str, str]] = (),
    consent_at: datetime | None = None,
) -> list[Participant]:
    levels = level_by_organisation or {}
    named_by_org = {org: (name, role) for org, name, role in named}
    rows: list[Participant] = []
    for organisation, how_many in organisations:
        for n in range(how_many):
            participant = Participant(
                workshop=workshop,
                organisation=organisation,
                level_of_government=levels.get(organisation, level),
                # Everyone joined as the workshop began.
                joined_at=_at(workshop.date, workshop.start_time or time(9, 0)),
            )
            if n == 0 and organisation in named_by_org:
                participant.name, participant.role = named_by_org[organisation]
                participant.consent_to_be_named = True
                participant.consent_recorded_at = consent_at
            rows.append(participant)
    return Participant.objects.bulk_create(rows)


def _categories_create(
    *,
    session: PlenarySession,
    specs: Sequence[_CategorySpec] = (),
    presented_from: Sequence[Category] = (),
) -> list[Category]:
    if presented_from:
        rows = [
            Category(
                session=session,
                reference_number=source.reference_number,
                name=source.name,
                description=source.description,
                presented_from=source,
            )
            for source in presented_from
        ]
    else:
        rows = [
            Category(
                session=session, reference_number=n, name=spec.name, description=spec.description
            )
            for n, spec in enumerate(specs, start=1)
        ]
    return Category.objects.bulk_create(rows)


def _statements_build(
    *,
    rng: random.Random,
    session: PlenarySession,
    specs: Sequence[_CategorySpec],
    categories: Sequence[Category],
    participants: Sequence[Participant],
) -> list[Statement]:
    rows: list[Statement] = []
    # Cards were written during the session, before it moved on: 20 seconds apart, in order.
    written = session.phase_changed_at - timedelta(minutes=45)
    for spec, category in zip(specs, categories, strict=True):
        for text, use in spec.statements:
            written += timedelta(seconds=20)
            # Most answers were written on cards; a few were typed in from a flip chart.
            source = Statement.Source.FACILITATOR if rng.random() < 0.1 else Statement.Source.CARD
            rows.append(
                Statement(
                    session=session,
                    participant=rng.choice(participants),
                    category=category,
                    text=text,
                    use=use,
                    source=source,
                    idempotency_key=_key(rng),
                    created_at=written,
                )
            )
    return rows


def _dots_build(
    *,
    rng: random.Random,
    session: PlenarySession,
    categories: Sequence[Category],
    participants: Sequence[Participant],
    totals: Sequence[int],
) -> list[Dot]:
    allocation = _dot_allocation(
        rng=rng,
        participants=len(participants),
        totals=totals,
        dots_each=session.dots_per_participant,
    )
    # Dots were placed in the ten minutes before the session moved on.
    placed = session.phase_changed_at - timedelta(minutes=10)
    return [
        Dot(
            session=session,
            category=categories[i],
            participant=participant,
            count=1,
            placed_at=placed + timedelta(seconds=n),
        )
        for n, (participant, chosen) in enumerate(zip(participants, allocation, strict=True))
        for i in chosen
    ]


# --- The load ---------------------------------------------------------------------------------


@transaction.atomic
def sample_data_load(*, with_demo_accounts: bool, reset: bool = False) -> SampleDataResult:
    """Load the illustrative Phase I series, unless it is already there.

    With ``reset`` the phase and everything under it is deleted first and loaded again. With
    ``with_demo_accounts`` (callers pass settings.DEBUG) the demo facilitator and staff accounts
    are created or updated, and their passwords set, on every call.
    """
    existing = ProjectPhase.objects.filter(slug=SAMPLE_PHASE_SLUG).first()
    was_reset = existing is not None and reset
    if was_reset:
        _phase_delete(existing)
        existing = None
    if existing is not None:
        logins = _demo_accounts_ensure(phase=existing) if with_demo_accounts else ()
        return SampleDataResult(
            phase=existing,
            created=False,
            reset=False,
            counts=_phase_counts(existing),
            demo_logins=logins,
        )

    rng = random.Random(SAMPLE_SEED)  # noqa: S311 - reproducible sample data, not secrets
    closed = PlenarySession.Phase.CLOSED

    phase = ProjectPhase.objects.create(
        title="Exploratory Social Media Project — Phase I",
        slug=SAMPLE_PHASE_SLUG,
        subtitle="Identifying benefits and concerns surrounding use of social media in government",
        organisation="Center for Technology in Government, University at Albany",
        starts_on=date(2009, 7, 1),
        ends_on=date(2009, 10, 31),
    )
    ReportNarrative.objects.create(phase=phase, **NARRATIVE)

    # 1. Internal discussion: notes only.
    internal_day = date(2009, 7, 22)
    internal = Workshop.objects.create(
        phase=phase,
        reference="esmp1-internal",
        title="Internal discussion",
        kind=Workshop.Kind.INTERNAL,
        status=Workshop.Status.COMPLETED,
        date=internal_day,
        start_time=time(10, 0),
        end_time=time(11, 30),
        venue="CTG offices, University at Albany",
        description=(
            "CTG staff discussed where government use of social media meets the Center's "
            f"expertise and where the literature falls short. {ILLUSTRATIVE}"
        ),
    )
    discussion = PlenarySession.objects.create(
        workshop=internal,
        position=1,
        title="Focus and gaps in the literature",
        prompt=INTERNAL_PROMPT,
        purpose=PlenarySession.Purpose.DISCUSSION,
        writing_minutes=10,
        phase=closed,
        phase_changed_at=_at(internal_day, time(11, 30)),
    )
    NoteRevision.objects.bulk_create(
        [
            NoteRevision(session=discussion, number=1, based_on=None, text=INTERNAL_NOTES_1),
            NoteRevision(session=discussion, number=2, based_on=1, text=INTERNAL_NOTES_2),
        ]
    )

    # 2. State agency workshop: statements in both sessions, dots on the concerns only.
    state_day = date(2009, 9, 17)
    state = Workshop.objects.create(
        phase=phase,
        reference="esmp1-state",
        title="State agency workshop",
        kind=Workshop.Kind.STATE,
        status=Workshop.Status.COMPLETED,
        date=state_day,
        start_time=time(8, 30),
        end_time=time(10, 30),
        venue="Center for Technology in Government, Albany, NY",
        description=(
            "Government professionals from 16 state agencies and the NYS Forum named the value "
            "they expect from social media and the concerns their agencies face, then ranked the "
            f"concerns with four dots each. {ILLUSTRATIVE}"
        ),
    )
    state_people = _participants_create(
        workshop=state,
        organisations=(*STATE_AGENCIES, (NYS_FORUM, 1)),
        level=Participant.Level.STATE,
        # The NYS Forum is a not-for-profit of government IT professionals, not an agency.
        level_by_organisation={NYS_FORUM: Participant.Level.OTHER},
        named=NAMED_STATE_PARTICIPANTS,
        consent_at=_at(state_day, time(8, 40)),
    )
    state_values = PlenarySession.objects.create(
        workshop=state,
        position=1,
        title="Session 1: Values",
        prompt=VALUES_PROMPT,
        purpose=PlenarySession.Purpose.VALUES,
        phase=closed,
        phase_changed_at=_at(state_day, time(9, 25)),
        results_revealed=False,  # the values were not voted on at the state workshop
    )
    state_concerns = PlenarySession.objects.create(
        workshop=state,
        position=2,
        title="Session 2: Concerns",
        prompt=CONCERNS_PROMPT,
        purpose=PlenarySession.Purpose.CONCERNS,
        phase=closed,
        phase_changed_at=_at(state_day, time(10, 25)),
        results_revealed=True,
    )
    state_value_cats = _categories_create(session=state_values, specs=VALUE_CATEGORIES)
    state_concern_cats = _categories_create(session=state_concerns, specs=CONCERN_CATEGORIES)
    statements = _statements_build(
        rng=rng,
        session=state_values,
        specs=VALUE_CATEGORIES,
        categories=state_value_cats,
        participants=state_people,
    ) + _statements_build(
        rng=rng,
        session=state_concerns,
        specs=CONCERN_CATEGORIES,
        categories=state_concern_cats,
        participants=state_people,
    )
    hidden_index, hidden_text = HIDDEN_CONCERN
    statements.append(
        Statement(
            session=state_concerns,
            participant=rng.choice(state_people),
            category=state_concern_cats[hidden_index],
            text=hidden_text,
            source=Statement.Source.CARD,
            hidden=True,
            hidden_reason=HIDDEN_REASON,
            idempotency_key=_key(rng),
        )
    )
    Statement.objects.bulk_create(statements)
    dots = _dots_build(
        rng=rng,
        session=state_concerns,
        categories=state_concern_cats,
        participants=state_people,
        totals=STATE_CONCERN_DOTS,
    )

    # 3. Local government workshop: the state lists as presented, ranked with dots.
    local_day = date(2009, 10, 20)
    local = Workshop.objects.create(
        phase=phase,
        reference="esmp1-local",
        title="Local government workshop",
        kind=Workshop.Kind.LOCAL,
        status=Workshop.Status.COMPLETED,
        date=local_day,
        start_time=time(13, 30),
        end_time=time(14, 30),
        venue="NYS Local Government IT Directors' Association conference",
        description=(
            "Local government professionals ranked the two lists from the state agency "
            "workshop, four dots per list, to show how far state and local concerns overlap. "
            f"{ILLUSTRATIVE}"
        ),
    )
    local_people = _participants_create(
        workshop=local, organisations=LOCAL_GOVERNMENTS, level=Participant.Level.LOCAL
    )
    local_values = PlenarySession.objects.create(
        workshop=local,
        position=1,
        title="Ranking the state workshop's values",
        prompt=(
            "Place your four dots on the values from the state agency workshop that matter most "
            "to your government."
        ),
        purpose=PlenarySession.Purpose.VALUES,
        phase=closed,
        phase_changed_at=_at(local_day, time(14, 0)),
        results_revealed=True,
    )
    local_concerns = PlenarySession.objects.create(
        workshop=local,
        position=2,
        title="Ranking the state workshop's concerns",
        prompt=(
            "Place your four dots on the areas of concern from the state agency workshop that "
            "you see as most pressing for your government."
        ),
        purpose=PlenarySession.Purpose.CONCERNS,
        phase=closed,
        phase_changed_at=_at(local_day, time(14, 30)),
        results_revealed=True,
    )
    local_value_cats = _categories_create(session=local_values, presented_from=state_value_cats)
    local_concern_cats = _categories_create(
        session=local_concerns, presented_from=state_concern_cats
    )
    dots += _dots_build(
        rng=rng,
        session=local_values,
        categories=local_value_cats,
        participants=local_people,
        totals=LOCAL_VALUE_DOTS,
    )
    dots += _dots_build(
        rng=rng,
        session=local_concerns,
        categories=local_concern_cats,
        participants=local_people,
        totals=LOCAL_CONCERN_DOTS,
    )
    Dot.objects.bulk_create(dots)

    logins = _demo_accounts_ensure(phase=phase) if with_demo_accounts else ()
    return SampleDataResult(
        phase=phase,
        created=True,
        reset=was_reset,
        counts=_phase_counts(phase),
        demo_logins=logins,
    )
