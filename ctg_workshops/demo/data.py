"""The sample series as data: its categories, statements, dots, organisations and narrative.

Every figure, statement and participant here is made up for demonstration (see ``load``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sessions.models import ProjectPhase

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
class CategorySpec:
    name: str
    description: str
    # (text, use) pairs; use is "", "E" or "I".
    statements: tuple[tuple[str, str], ...]


# --- The state workshop's lists, in the order of the 2009 report ------------------------------

VALUE_CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
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
    CategorySpec(
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
    CategorySpec(
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
    CategorySpec(
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
    CategorySpec(
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
    CategorySpec(
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
    CategorySpec(
        "Instantaneous information sharing",
        "Information reaches staff and the public the moment it is posted, not at the end of a "
        "publication cycle.",
        (
            ("Correct misinformation within minutes instead of the next day.", "E"),
            ("Field staff can post updates from their phones as things happen.", "I"),
            ("No waiting in the web team's queue to get an announcement posted.", ""),
        ),
    ),
    CategorySpec(
        "Improved training capabilities",
        "Shared video, webinars and online discussion extend training to staff who cannot travel.",
        (
            ("Record a training session once and let staff watch it when they can.", "I"),
            ("Staff in regional offices can join training without travel costs.", "I"),
            ("A discussion board where trainees can keep asking questions after the course.", ""),
        ),
    ),
    CategorySpec(
        "Coolness factor",
        "Using current tools makes the agency look modern and approachable, especially to "
        "younger people.",
        (
            ("Shows the agency is current and not stuck in the past.", "E"),
            ("Younger staff are excited to use tools they already know.", ""),
            ("Makes government seem more approachable.", "E"),
        ),
    ),
    CategorySpec(
        "Cost savings",
        "Free or low-cost tools can replace some printing, postage, travel and hosting costs.",
        (
            ("Cut printing and postage for our newsletters.", "E"),
            ("Hold meetings online instead of paying for travel to Albany.", "I"),
            ("Free video hosting instead of buying streaming capacity.", ""),
            ("Fewer calls to the help line if answers are posted where people look.", "E"),
        ),
    ),
    CategorySpec(
        "Documentation",
        "Posts, wikis and discussion threads leave a searchable record of decisions and know-how.",
        (
            ("Capture the knowledge of staff who are about to retire.", "I"),
            ("A searchable record of what was discussed and decided.", "I"),
            ("Keep a history of the questions the public asks us and the answers we gave.", ""),
        ),
    ),
)

CONCERN_CATEGORIES: tuple[CategorySpec, ...] = (
    CategorySpec(
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
    CategorySpec(
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
    CategorySpec(
        "Governance",
        "Who decides, who may post on behalf of the agency, and the policies that guide use.",
        (
            ("Who is allowed to speak for the agency online?", "E"),
            ("We need an agency-wide policy before programs start their own pages.", ""),
            ("Who approves posts, and how fast can approval happen?", ""),
            ("What is the policy on staff using social media on work time?", "I"),
        ),
    ),
    CategorySpec(
        "Making a business case",
        "Showing leadership what the agency gains, and measuring it, to justify the investment.",
        (
            ("How do we measure success or return on investment?", ""),
            ("Executive management sees it as a waste of time.", ""),
            ("We need examples from other agencies that show results.", ""),
        ),
    ),
    CategorySpec(
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
    CategorySpec(
        "Accessibility",
        "Making sure content on social media sites can be used by people with disabilities and by "
        "people without broadband.",
        (
            ("Many social media sites don't meet the state's accessibility standards.", "E"),
            ("Rural residents without broadband would be left out.", "E"),
            ("Every video would need captions, which takes time and money.", ""),
        ),
    ),
    CategorySpec(
        "Perception",
        "How the public, the press and elected officials see an agency that uses social media.",
        (
            ("The public may think staff are wasting time on Facebook.", "E"),
            ("Negative comments on our own page could embarrass the agency.", "E"),
            ("It may look as if the agency endorses a commercial site.", ""),
        ),
    ),
    CategorySpec(
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
