"""A small hand-written thesaurus of what government professionals say about social media:
words grouped into the themes of the CTG workshops' value and concern lists (docs/DOMAIN: the
eleven values and eight concerns of the state workshop), so that "hackers" and "password" both
count as security, and "hurricane" and "evacuation" as emergencies.

Two cards on the same theme rarely share a word; sharing a theme is what the words-only methods
miss (bench/suggest_eval.py measures what it adds, on a held-out set written after this list was
fixed). English only: a word in another language simply has no theme. Words are matched after
the engine's light suffix stripping, so "hack", "hacks" and "hacking" are one entry.
"""

THEMES: dict[str, str] = {
    "security": """
        security secure hack hacker hacked hijack hijacked malware virus viruses phishing spam
        password passwords login logins credential credentials firewall breach attack attacks
        deface impersonate impostor fake spoof cyber encryption vulnerability intrusion theft
        scam takeover compromised
    """,
    "privacy": """
        privacy private personal confidential cookie cookies tracking track pii anonymity
        anonymous consent surveillance sensitive identity identifiable profile profiles disclose
        disclosure
    """,
    "legal": """
        law laws legal lawsuit lawsuits litigation liability liable counsel attorney attorneys
        lawyer lawyers court courts amendment constitutional copyright discovery subpoena
        statute statutes regulation regulations regulatory comply compliance foia foil freedom
        contract contracts election elections sue sued terms procurement
    """,
    "records": """
        record records retention retain archive archives archiving archived preserve
        preservation capture documentation document documents custodian backup schedule
        schedules history
    """,
    "governance": """
        policy policies approve approves approval approved sign authorise authorize authority
        oversight rule rules guideline guidelines standard standards owner owns ownership
        responsibility responsible accountable accountability chain command decide decides
        decision permission speak speaks spokesperson branding brand official moderate
        moderation delete remove block central coordinate coordinates
    """,
    "resources": """
        time hours staff staffing budget budgets cost costs money funding fund afford expensive
        overtime workload capacity busy coverage monitor monitoring maintain maintenance
        coordinator thin stretched freeze equipment lack resources
    """,
    "savings": """
        save saves savings cheaper cheap free inexpensive efficient efficiency
    """,
    "business_case": """
        measure measuring metrics metric value worth return roi justify justification evidence
        evaluate evaluation success analytics effort outcome outcomes benefit benefits
    """,
    "recruiting": """
        recruit recruiting recruitment hire hires hiring job jobs career careers candidate
        candidates applicant applicants talent graduate graduates intern interns employer
        employee employees workforce vacancy vacancies opening openings position positions
        resume retiree retirees onboarding morale veteran veterans posting
    """,
    "training": """
        training train trained learn learning tip tips tutorial tutorials skill skills mentor
        mentoring coaching education webinar webinars
    """,
    "collaboration": """
        collaborate collaboration collaborative partner partners partnership together joint
        colleague colleagues counterpart counterparts peer peers networking silo silos agencies
        interagency department departments division divisions wiki coauthor co author team teams
        practice knowledge municipalities counties
    """,
    "community": """
        community communities virtual group groups follower followers member members belong
        audience
    """,
    "outreach": """
        residents resident citizen citizens public people reach outreach engage engagement
        conversation conversations comment comments feedback promote promotion awareness inform
        announce announcement notice notices newsletter publicise publicize younger youth
        constituents taxpayers hear listen audience
    """,
    "emergency": """
        emergency emergencies disaster disasters storm storms hurricane hurricanes flood floods
        flooding weather evacuation evacuate alert alerts warn warning warnings shelter shelters
        outbreak disease spill hazard hazardous police suspect crime fire fires responder
        responders rescue safety safe rumour rumours rumor rumors prepare preparedness crisis
    """,
    "speed": """
        instant instantly immediate immediately realtime real fast faster quick quickly minutes
        speed timely hour
    """,
    "accessibility": """
        accessible accessibility disabled disability disabilities blind deaf caption captions
        captioning impaired ada 508 language languages translation
    """,
    "perception": """
        perception perceived image reputation trust credibility credible appearance frivolous
        waste unprofessional criticism critical negative embarrass embarrassing cool cooler
        coolness modern trendy
    """,
    "overload": """
        overload overloaded overwhelm overwhelmed swamp swamped noise volume clutter inbox flood
    """,
}
