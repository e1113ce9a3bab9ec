"""The shared vocabulary: every code the ledger accepts (see shared/DOMAIN.md).

Code lists are extended, never renamed: stored events refer to these values.
"""

from __future__ import annotations

from enum import StrEnum


class SupervisionType(StrEnum):
    PROBATION = "probation"
    PAROLE = "parole"
    COMMUNITY_ORDER = "community_order"
    POST_RELEASE = "post_release"
    REENTRY = "reentry"
    UNKNOWN = "unknown"


class Condition(StrEnum):
    REPORT_WEEKLY = "report_weekly"
    REPORT_MONTHLY = "report_monthly"
    DRUG_TESTING = "drug_testing"
    CURFEW = "curfew"
    ELECTRONIC_MONITORING = "electronic_monitoring"
    NO_TRAVEL = "no_travel"
    RESIDENCE = "residence"
    EMPLOYMENT = "employment"
    PROGRAMME_ATTENDANCE = "programme_attendance"
    PAY_FEES = "pay_fees"
    NO_CONTACT = "no_contact"


class RiskLevel(StrEnum):
    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"
    VERY_HIGH = "very_high"


class Need(StrEnum):
    """The 'central eight' criminogenic needs."""

    CRIMINAL_HISTORY = "criminal_history"
    ANTISOCIAL_PERSONALITY = "antisocial_personality"
    ANTISOCIAL_COGNITION = "antisocial_cognition"
    ANTISOCIAL_ASSOCIATES = "antisocial_associates"
    FAMILY_MARITAL = "family_marital"
    SCHOOL_WORK = "school_work"
    LEISURE_RECREATION = "leisure_recreation"
    SUBSTANCE_USE = "substance_use"


class Responsivity(StrEnum):
    MENTAL_HEALTH = "mental_health"
    LITERACY = "literacy"
    LANGUAGE = "language"
    TRAUMA = "trauma"
    OTHER = "other"


class Service(StrEnum):
    HOUSING = "housing"
    EMPLOYMENT = "employment"
    EDUCATION = "education"
    MENTAL_HEALTH = "mental_health"
    SUBSTANCE_USE = "substance_use"
    LEGAL_AID = "legal_aid"
    BENEFITS = "benefits"
    FAMILY = "family"
    BEFRIENDING = "befriending"


class ReferralStatus(StrEnum):
    MADE = "made"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    STARTED = "started"
    COMPLETED = "completed"
    DROPPED = "dropped"


class ContactKind(StrEnum):
    """How a contact was made (`casework`: one-to-one, place not said; the default)."""

    CASEWORK = "casework"
    OFFICE = "office"
    HOME = "home"
    FIELD = "field"
    PHONE_VIDEO = "phone_video"
    COLLATERAL = "collateral"  # with family, an employer, a provider: not the client
    GROUP = "group"


# The kinds that count towards a supervision level's contact standard: contacts with the
# client, in person or by phone or video. A collateral contact is with someone else.
CLIENT_CONTACTS = frozenset(set(ContactKind) - {ContactKind.COLLATERAL})

# Contacts a month each supervision level asks for (DOMAIN.md: low is 1 every 3 months), as
# (contacts, months): a client-month meets it when the contacts in the `months` ending with it
# reach `contacts`.
CONTACT_STANDARDS: dict[str, tuple[int, int]] = {
    "maximum": (4, 1),
    "high": (2, 1),
    "medium": (1, 1),
    "low": (1, 3),
    "administrative": (0, 1),
    "unsupervised": (0, 1),
}

# Months from an assessment to the next one due, by the risk level it found (DOMAIN.md).
REASSESSMENT_MONTHS: dict[str, int] = {"very_high": 6, "high": 6, "moderate": 12, "low": 12}
# Days from a term's start to its first assessment due, when none was made in the term.
INTAKE_ASSESSMENT_DAYS = 30


class GoalStatus(StrEnum):
    """Where a case plan's goal stands."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    ACHIEVED = "achieved"
    ABANDONED = "abandoned"


CLOSED_GOAL = frozenset({GoalStatus.ACHIEVED, GoalStatus.ABANDONED})


class ReferralReason(StrEnum):
    """Why a referral was declined or dropped."""

    NO_CAPACITY = "no_capacity"
    INELIGIBLE = "ineligible"
    CLIENT_DECLINED = "client_declined"
    NO_SHOW = "no_show"
    MOVED = "moved"
    OTHER = "other"


# The service that meets each criminogenic need (for `report needs`: a referral matches a
# need when its service is one of these, or it names the need or a goal tied to it).
NEED_SERVICES: dict[str, frozenset[str]] = {
    "criminal_history": frozenset({"legal_aid"}),
    "antisocial_personality": frozenset({"mental_health"}),
    "antisocial_cognition": frozenset({"mental_health"}),
    "antisocial_associates": frozenset({"befriending"}),
    "family_marital": frozenset({"family"}),
    "school_work": frozenset({"employment", "education"}),
    "leisure_recreation": frozenset({"befriending"}),
    "substance_use": frozenset({"substance_use"}),
}


class ProgrammeOutcome(StrEnum):
    """How a client's place in a group programme ended."""

    COMPLETED = "completed"
    DROPPED_OUT = "dropped_out"
    REMOVED = "removed"
    TERM_ENDED = "term_ended"  # the ledger's: the term ended with the place still open


class VolunteerSkill(StrEnum):
    """What a volunteer brings to a befriending match (DOMAIN.md: emotional support is met by
    empathetic listening, paperwork by experience with bureaucracy)."""

    EMPATHETIC_LISTENING = "empathetic_listening"
    BUREAUCRACY = "bureaucracy"
    JOB_SEARCH = "job_search"
    TUTORING = "tutoring"
    RECOVERY_SUPPORT = "recovery_support"
    FAMILY_SUPPORT = "family_support"
    LEISURE_ACTIVITIES = "leisure_activities"
    PROSOCIAL_MENTORING = "prosocial_mentoring"


# The skills that meet each criminogenic need, for matching a volunteer to a client.
NEED_SKILLS: dict[str, frozenset[str]] = {
    "criminal_history": frozenset({"prosocial_mentoring", "bureaucracy"}),
    "antisocial_personality": frozenset({"empathetic_listening", "prosocial_mentoring"}),
    "antisocial_cognition": frozenset({"empathetic_listening", "prosocial_mentoring"}),
    "antisocial_associates": frozenset({"prosocial_mentoring", "leisure_activities"}),
    "family_marital": frozenset({"family_support", "empathetic_listening"}),
    "school_work": frozenset({"job_search", "tutoring", "bureaucracy"}),
    "leisure_recreation": frozenset({"leisure_activities"}),
    "substance_use": frozenset({"recovery_support", "empathetic_listening"}),
}


class SupervisionSessionKind(StrEnum):
    """A volunteer's supervision by the coordinating professional."""

    INDIVIDUAL = "individual"
    GROUP = "group"


class PlanModel(StrEnum):
    STRENGTH_BASED = "strength_based"
    ASSERTIVE = "assertive"


class TechnicalViolation(StrEnum):
    """The condition breached by a technical violation."""

    FAILURE_TO_REPORT = "failure_to_report"
    POSITIVE_DRUG_TEST = "positive_drug_test"
    MISSED_DRUG_TEST = "missed_drug_test"
    CURFEW = "curfew"
    TRAVEL_WITHOUT_PERMISSION = "travel_without_permission"
    MOVED_WITHOUT_PERMISSION = "moved_without_permission"
    ELECTRONIC_MONITORING = "electronic_monitoring"
    MISSED_PROGRAMME = "missed_programme"
    UNPAID_FEES = "unpaid_fees"
    NO_CONTACT_BREACH = "no_contact_breach"
    OTHER_CONDITION = "other_condition"


class OffenceSeverity(StrEnum):
    """Severity of a new offence; `unknown` for imported records that do not say."""

    FELONY = "felony"
    MISDEMEANOR = "misdemeanor"
    UNKNOWN = "unknown"


class ViolationCategory(StrEnum):
    """Audit category of a violation incident, most serious first (Justice Counts)."""

    NEW_OFFENCE = "new_offence"
    ABSCONDING = "absconding"
    TECHNICAL = "technical"


class Response(StrEnum):
    """A response to a violation: the graduated responses (DOMAIN.md), mildest first, then
    revocation. `sanction` is the first round's code: stored ones read as `custody_sanction`
    when they carried custody days, otherwise as `other_sanction` (ViolationResponded v2), and
    one typed now is taken the same way."""

    WARNING = "warning"
    SANCTION = "sanction"
    REVOCATION = "revocation"
    INCREASED_REPORTING = "increased_reporting"
    CURFEW = "curfew"
    ELECTRONIC_MONITORING = "electronic_monitoring"
    COMMUNITY_SERVICE = "community_service"
    TREATMENT_REFERRAL = "treatment_referral"
    CUSTODY_SANCTION = "custody_sanction"
    OTHER_SANCTION = "other_sanction"
    CONTINUANCE = "continuance"  # no change


# The responses as decided today, in the graduated order reports list them.
GRADUATED_RESPONSES = (
    Response.WARNING, Response.INCREASED_REPORTING, Response.CURFEW,
    Response.ELECTRONIC_MONITORING, Response.COMMUNITY_SERVICE, Response.TREATMENT_REFERRAL,
    Response.CUSTODY_SANCTION, Response.OTHER_SANCTION, Response.CONTINUANCE,
    Response.REVOCATION,
)  # fmt: skip
# Responses that may hold someone in custody for days.
CUSTODY_RESPONSES = frozenset({Response.CUSTODY_SANCTION, Response.REVOCATION})
# Every decision but a continuance (which changes nothing) is a sanction, revocation included.
SANCTIONS = frozenset(GRADUATED_RESPONSES) - {Response.CONTINUANCE}
# The custody a decision by the officer alone may impose for a technical violation (days): for
# the term's first technical violation, then for each later one (the Pennsylvania rule in
# DOMAIN.md). More needs a court or a parole board; an agency may set its own caps.
DEFAULT_CUSTODY_CAPS = (14, 30)
# Days before a revocation decision in which its term's violations are weighed: the revoked
# term is attributed to the most serious one (docs/metrics.md, "Revocations").
REVOCATION_WINDOW_DAYS = 365


class Incentive(StrEnum):
    """A reward for compliance, recorded beside the sanctions (`incentive`)."""

    REDUCED_REPORTING = "reduced_reporting"
    CURFEW_LIFTED = "curfew_lifted"
    COMMENDATION = "commendation"
    EARLY_DISCHARGE_RECOMMENDED = "early_discharge_recommended"
    LEVEL_REDUCED = "level_reduced"


class NewOffenceBasis(StrEnum):
    """What a new offence rests on when it is recorded."""

    ARREST = "arrest"
    CHARGE = "charge"
    CONVICTION = "conviction"


class Disposition(StrEnum):
    """Where the new offence's charge stands (`disposition`), the latest recorded holding."""

    PENDING = "pending"
    CONVICTED = "convicted"
    DISMISSED = "dismissed"
    ACQUITTED = "acquitted"


# The dispositions under which a charge did not stand (`--exclude-dismissed`).
NOT_SUSTAINED = frozenset({Disposition.DISMISSED, Disposition.ACQUITTED})


class OffenceType(StrEnum):
    """The type of a new offence (Iowa's own types)."""

    VIOLENT = "violent"
    PROPERTY = "property"
    DRUG = "drug"
    PUBLIC_ORDER = "public_order"
    OTHER = "other"


class DecidingBody(StrEnum):
    OFFICER = "officer"
    COURT = "court"
    PAROLE_BOARD = "parole_board"


class MatchEnding(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    TAKEN_BACK = "taken_back"
    CLIENT_WITHDREW = "client_withdrew"
    VOLUNTEER_WITHDREW = "volunteer_withdrew"
    TERM_ENDED = "term_ended"  # the ledger's: the term ended with the match still open


class DischargeOutcome(StrEnum):
    SUCCESSFUL = "successful"
    EARLY = "early"
    REVOKED_TECHNICAL = "revoked_technical"
    REVOKED_NEW_OFFENCE = "revoked_new_offence"
    ABSCONDED = "absconded"
    TRANSFERRED = "transferred"
    DEATH = "death"
    OTHER = "other"


class SealGround(StrEnum):
    """The legal ground on which a client's personal data is sealed (erased)."""

    EXPUNGEMENT = "expungement"
    COURT_ORDER = "court_order"
    RETENTION_EXPIRED = "retention_expired"
    DATA_SUBJECT_REQUEST = "data_subject_request"
    OTHER = "other"


class Instrument(StrEnum):
    """Risk/needs assessment tools. A tool not in this list is recorded as `other`, its name
    kept as personal text beside it (it could be anything typed)."""

    ORAS = "ORAS"
    ORAS_CST = "ORAS-CST"
    LSI_R = "LSI-R"
    LS_CMI = "LS/CMI"
    LS_RNR = "LS/RNR"
    COMPAS = "COMPAS"
    STRONG_R = "STRONG-R"
    PCRA = "PCRA"
    RMS = "RMS"
    STATIC_99R = "Static-99R"
    YLS_CMI = "YLS/CMI"
    SAVRY = "SAVRY"
    OYAS = "OYAS"
    OTHER = "other"


class SupervisionLevel(StrEnum):
    """How closely a term is supervised, set by `level` (DOMAIN.md "Terms, status and people")."""

    MAXIMUM = "maximum"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    ADMINISTRATIVE = "administrative"  # no regular contact
    UNSUPERVISED = "unsupervised"  # e.g. banked, or pending discharge


class CustodyReason(StrEnum):
    """Why a client under supervision is in custody for a while (a status period)."""

    SANCTION = "sanction"
    JAIL_HOLD = "jail_hold"
    TREATMENT_FACILITY = "treatment_facility"
    OTHER = "other"


class TermStartReason(StrEnum):
    NEW_SENTENCE = "new_sentence"
    RELEASE_TO_PAROLE = "release_to_parole"
    RELEASE_TO_POST_RELEASE = "release_to_post_release"
    TRANSFER_IN = "transfer_in"
    REINSTATED = "reinstated"
    OTHER = "other"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class Race(StrEnum):
    """The Justice Counts race breakdown."""

    AMERICAN_INDIAN_ALASKA_NATIVE = "american_indian_alaska_native"
    ASIAN = "asian"
    BLACK = "black"
    NATIVE_HAWAIIAN_PACIFIC_ISLANDER = "native_hawaiian_pacific_islander"
    WHITE = "white"
    MULTIPLE = "multiple"
    OTHER = "other"
    UNKNOWN = "unknown"


class Ethnicity(StrEnum):
    HISPANIC = "hispanic"
    NOT_HISPANIC = "not_hispanic"
    UNKNOWN = "unknown"


class AgeBand(StrEnum):
    """Age at the start of a term, in Iowa's own bands."""

    UNDER_25 = "under_25"
    FROM_25_TO_34 = "25_34"
    FROM_35_TO_44 = "35_44"
    FROM_45_TO_54 = "45_54"
    FROM_55 = "55_and_older"
    UNKNOWN = "unknown"


def age_band(birth_year: int | None, year: int) -> AgeBand:
    """The band of a person born in `birth_year` at the start of a term in `year` (their age
    on their birthday that year: the day of birth is not kept)."""
    if birth_year is None or birth_year > year:
        return AgeBand.UNKNOWN
    age = year - birth_year
    for band, below in ((AgeBand.UNDER_25, 25), (AgeBand.FROM_25_TO_34, 35),
                        (AgeBand.FROM_35_TO_44, 45), (AgeBand.FROM_45_TO_54, 55)):  # fmt: skip
        if age < below:
            return band
    return AgeBand.FROM_55


def values(code_list: type[StrEnum]) -> list[str]:
    """The codes of one list, in their documented order."""
    return [member.value for member in code_list]
