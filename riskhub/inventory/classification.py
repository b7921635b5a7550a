"""Classify an AI asset under the EU AI Act, the GDPR and the CCPA from questionnaire answers.

A pure module: no models, no database. `classify()` gives the tiers and flags with the
reasons a reviewer reads; `facts()` gives the fact tokens of docs/catalog-format.md that
the compliance catalogs' applicability rules are written over. Both come from one
assessment, so the tokens can never disagree with what the user was shown.

The constants below describe the questionnaire so that a form can be built from them.
Regulatory choices follow DESIGN.md ("Decisions: Classification"): the strictest tier
wins, Art 50 duties are listed whatever the tier, the 10^25 FLOPs presumption is
"greater than", and the tier ignores application dates.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from riskhub.inventory import tiers

# Lowest to highest precedence: when several rules apply, the highest wins. Defined
# once in riskhub.inventory.tiers.
TIERS: tuple[str, ...] = tuple(t.slug for t in tiers.PRECEDENCE)

ART5_PRACTICES: dict[str, str] = {
    "5(1)(a)": "subliminal, manipulative or deceptive techniques that cause significant harm",
    "5(1)(b)": "exploiting vulnerabilities linked to age, disability or social or economic "
    "situation",
    "5(1)(ba)": "generating non-consensual intimate or sexual content of real people "
    "('nudification')",
    "5(1)(bb)": "generating child sexual abuse material",
    "5(1)(c)": "social scoring that leads to unjustified or unrelated detrimental treatment",
    "5(1)(d)": "predicting criminal offending solely from profiling or personality traits",
    "5(1)(e)": "untargeted scraping of facial images to build facial recognition databases",
    "5(1)(f)": "inferring emotions at work or in education, outside medical or safety use",
    "5(1)(g)": "biometric categorisation to deduce or infer race, political opinions, trade "
    "union membership, religious or philosophical beliefs, sex life or sexual orientation",
    "5(1)(h)": "real-time remote biometric identification in public spaces for law enforcement",
}

# Omnibus additions, named in reasons so a reader knows where they come from.
_OMNIBUS_PRACTICES = frozenset({"5(1)(ba)", "5(1)(bb)"})

ANNEX_III_AREAS: dict[str, str] = {
    "1": "biometrics",
    "2": "critical infrastructure",
    "3": "education and vocational training",
    "4": "employment, workers' management and access to self-employment",
    "5": "essential private and public services and benefits",
    "6": "law enforcement",
    "7": "migration, asylum and border control",
    "8": "administration of justice and democratic processes",
}

ANNEX_III_POINTS: dict[str, str] = {
    "1(a)": "biometrics: remote biometric identification (not mere identity verification)",
    "1(b)": "biometrics: categorisation by sensitive or protected attributes",
    "1(c)": "biometrics: emotion recognition",
    "2": "critical infrastructure: safety component of digital infrastructure, road traffic "
    "or utilities",
    "3(a)": "education: access, admission or assignment to institutions",
    "3(b)": "education: evaluating learning outcomes",
    "3(c)": "education: deciding the level of education a person can access",
    "3(d)": "education: detecting prohibited behaviour during tests",
    "4(a)": "employment: recruitment and selection",
    "4(b)": "employment: decisions on work terms, promotion, termination, task allocation "
    "or monitoring",
    "5(a)": "essential services: eligibility for public assistance benefits and services",
    "5(b)": "essential services: creditworthiness and credit scoring (not fraud detection)",
    "5(c)": "essential services: risk assessment and pricing for life and health insurance",
    "5(d)": "essential services: evaluating emergency calls, dispatch and patient triage",
    "6(a)": "law enforcement: risk of a person becoming a victim of crime",
    "6(b)": "law enforcement: polygraphs and similar tools",
    "6(c)": "law enforcement: evaluating the reliability of evidence",
    "6(d)": "law enforcement: risk of offending or re-offending, personality traits or past "
    "criminal behaviour",
    "6(e)": "law enforcement: profiling to detect, investigate or prosecute crime",
    "7(a)": "migration and borders: polygraphs and similar tools",
    "7(b)": "migration and borders: security, irregular-migration or health risk of a person",
    "7(c)": "migration and borders: examining asylum, visa or residence applications",
    "7(d)": "migration and borders: detecting, recognising or identifying persons",
    "8(a)": "justice: helping a judicial authority or ADR body research and apply the law",
    "8(b)": "democratic processes: influencing elections, referenda or voting behaviour",
}

ART_6_3_DEROGATIONS: dict[str, str] = {
    "a": "it only performs a narrow procedural task",
    "b": "it improves the result of a human activity already completed",
    "c": "it detects decision-making patterns or deviations without replacing or swaying "
    "the earlier human assessment absent proper human review",
    "d": "it performs a preparatory task for an assessment relevant to an Annex III use case",
}

TRANSPARENCY_TRIGGERS: dict[str, str] = {
    "50(1)": "interacts directly with people (for example a chatbot)",
    "50(2)": "generates synthetic audio, image, video or text",
    "50(3)": "recognises emotions or categorises people biometrically",
    "50(4)": "produces deep fakes or AI-written text published to inform the public",
}

ROLES: dict[str, str] = {
    "provider": "develops the system or model, or has it developed, and places it on the "
    "market under its own name",
    "deployer": "uses the system under its authority in a professional activity",
    "importer": "places on the EU market a system bearing a non-EU provider's name",
    "distributor": "makes the system available in the supply chain without being its "
    "provider or importer",
}

GDPR_FLAGS: dict[str, str] = {
    "personal_data": "processes personal data",
    "special_categories": "processes special categories of personal data (Art. 9)",
    "automated_decisions": "takes decisions based solely on automated processing with legal "
    "or similarly significant effects (Art. 22)",
    "large_scale": "processes personal data on a large scale",
    "children": "processes children's personal data",
    "transfers_outside_eu": "transfers personal data outside the EU/EEA (Chapter V)",
    "eu_data_subjects": "concerns people in the EU (Art. 3(2): offering them goods or services, or "
    "monitoring their behaviour); must be answered when the organisation has no EU "
    "establishment",
}

CCPA_FLAGS: dict[str, str] = {
    "california_consumers": "processes personal information of California consumers",
    "business_thresholds_met": "the organisation meets the 'business' thresholds of "
    "Cal. Civ. Code 1798.140(d) (unanswered: taken from the organisation profile)",
    "sells_or_shares": "sells or shares personal information",
    "sensitive_pi": "processes sensitive personal information",
    "admt_significant_decisions": "uses automated decisionmaking technology for significant "
    "decisions about consumers",
}

GDPR_ROLES: tuple[str, ...] = ("controller", "processor", "joint-controller")

# Cal. Civ. Code 1798.82: (a) binds whoever owns or licenses the computerized personal
# information, (b) whoever maintains data it does not own. An organisation can be both.
CA_BREACH_ROLES: dict[str, str] = {
    "owner": "owns or licenses the personal information (1798.82(a))",
    "maintainer": "maintains personal information it does not own (1798.82(b))",
    "both": "owns or licenses some personal information and maintains other data for its owners",
}

# Art 5(1)(f) prohibits emotion inference "in the areas of workplace and education
# institutions" except for medical or safety reasons. The questionnaire asks the setting
# of an emotion-recognition system (Annex III 1(c), Art 50(3)) so the two can be checked.
EMOTION_SETTINGS: dict[str, str] = {
    "workplace": "in the workplace (employees, applicants, contractors)",
    "education": "in an education institution (pupils, students, candidates)",
    "other": "elsewhere (for example customers or the public)",
}

# Art 5(1)(g): the traits whose inference by biometric categorisation is prohibited.
ART5_1G_TRAITS = (
    "race",
    "political opinions",
    "trade union membership",
    "religious or philosophical beliefs",
    "sex life or sexual orientation",
)

ART5_CHECK_QUESTIONS: dict[str, str] = {
    "emotion_recognition_setting": "Where does the system infer or identify people's "
    "emotions or intentions?",
    "emotion_recognition_medical_or_safety": "The emotion recognition is put in place for "
    "medical or safety reasons only (Art. 5(1)(f) exception)",
    "biometric_categorisation_sensitive_traits": "The biometric categorisation deduces or "
    "infers " + ", ".join(ART5_1G_TRAITS[:-1]) + " or " + ART5_1G_TRAITS[-1],
    "biometric_categorisation_exception": "The categorisation only labels or filters lawfully "
    "acquired biometric datasets, or is done in the area of law enforcement "
    "(Art. 5(1)(g) exception)",
}

SYSTEMIC_RISK_FLOPS = 1e25

_LIST_QUESTIONS: dict[str, tuple[Mapping[str, str], str]] = {
    "prohibited_practices": (ART5_PRACTICES, "Art. 5 practice"),
    "annex_iii_points": (ANNEX_III_POINTS, "Annex III point"),
    "art_6_3_derogations": (ART_6_3_DEROGATIONS, "Art. 6(3) derogation"),
    "transparency_triggers": (TRANSPARENCY_TRIGGERS, "Art. 50 trigger"),
}
_BOOL_QUESTIONS = (
    "is_ai_system",
    "annex_i_safety_component",
    "performs_profiling",
    "general_purpose",
    "emotion_recognition_medical_or_safety",
    "biometric_categorisation_sensitive_traits",
    "biometric_categorisation_exception",
)
_ANSWER_KEYS = frozenset(
    {
        *_LIST_QUESTIONS,
        *_BOOL_QUESTIONS,
        "emotion_recognition_setting",
        "training_flops",
        "role",
        "gdpr",
        "ccpa",
        "org",
    }
)
_ORG_BOOLS = (
    "eu_established",
    "public_body",
    "public_authority",
    "ccpa_business",
    "ccpa_cyber_audit",
    "ca_conducts_business",
)

# GDPR answers that become flags (fact token suffix in brackets where it differs).
_GDPR_FLAG_TOKENS: dict[str, str] = {
    "special_categories": "special_categories",
    "automated_decisions": "automated_decisions",
    "large_scale": "large_scale",
    "children": "children",
    "transfers_outside_eu": "transfers",
}


class InvalidAnswers(ValueError):
    """Raised by classify() and facts(); `errors` maps each field to its message."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(sorted(errors.items()))
        super().__init__("; ".join(f"{name}: {msg}" for name, msg in self.errors.items()))


# --- validation --------------------------------------------------------------------------


def validate_answers(answers: dict) -> dict[str, str]:
    """Field -> error message for every malformed answer; empty when the answers are usable.

    None always means "not answered" and takes the default (false or empty). Unknown keys
    are errors: a misspelt question would otherwise be read as "no", which is the one
    mistake a classifier must not make quietly.
    """
    if not isinstance(answers, Mapping):
        return {"answers": "must be an object mapping questions to answers"}
    errors: dict[str, str] = {}
    for key in sorted(set(answers) - _ANSWER_KEYS, key=str):
        errors[str(key)] = "unknown question"
    for key in _BOOL_QUESTIONS:
        _check_bool(errors, key, answers.get(key))
    for key, (allowed, what) in _LIST_QUESTIONS.items():
        _check_codes(errors, key, answers.get(key), allowed, what)
    _check_flops(errors, answers.get("training_flops"))
    setting = answers.get("emotion_recognition_setting")
    if setting not in (None, "") and setting not in EMOTION_SETTINGS:
        errors["emotion_recognition_setting"] = (
            f"unknown setting {setting!r}; expected one of " + ", ".join(EMOTION_SETTINGS)
        )
    _check_roles(errors, answers.get("role"))
    for section, questions in (("gdpr", GDPR_FLAGS), ("ccpa", CCPA_FLAGS)):
        _check_section(errors, section, answers.get(section), questions)
    if answers.get("org") is not None:
        errors.update(_validate_org(answers["org"]))
    return errors


def _validate_org(org: Any) -> dict[str, str]:
    # The profile may carry other organisation fields (name, time zone...); only the
    # ones classification reads are checked.
    if org is None:
        return {}
    if not isinstance(org, Mapping):
        return {"org": "must be an object with the organisation profile"}
    errors: dict[str, str] = {}
    for key in _ORG_BOOLS:
        _check_bool(errors, f"org.{key}", org.get(key))
    role = org.get("gdpr_role")
    if role is not None and role not in GDPR_ROLES:
        errors["org.gdpr_role"] = f"unknown GDPR role {role!r}; expected one of " + ", ".join(
            GDPR_ROLES
        )
    ca_role = org.get("ca_breach_role")
    if ca_role not in (None, "") and ca_role not in CA_BREACH_ROLES:
        errors["org.ca_breach_role"] = f"unknown role {ca_role!r}; expected one of " + ", ".join(
            CA_BREACH_ROLES
        )
    return errors


def _check_bool(errors: dict[str, str], name: str, value: Any) -> None:
    if value is not None and not isinstance(value, bool):
        errors[name] = f"must be true or false, not {value!r}"


def _check_codes(
    errors: dict[str, str], name: str, value: Any, allowed: Mapping[str, str], what: str
) -> None:
    if value is None:
        return
    if not isinstance(value, list | tuple):
        errors[name] = f"must be a list of {what} codes, not {value!r}"
        return
    unknown = [item for item in value if not isinstance(item, str) or item not in allowed]
    if unknown:
        shown = ", ".join(repr(item) for item in unknown)
        errors[name] = f"unknown {what} {shown}; expected one of " + ", ".join(allowed)


def _check_flops(errors: dict[str, str], value: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        errors["training_flops"] = f"must be a number of floating-point operations, not {value!r}"
        return
    try:
        as_float = float(value)
    except OverflowError:
        as_float = math.inf
    if not math.isfinite(as_float):
        errors["training_flops"] = "must be a finite number"
    elif as_float < 0:
        errors["training_flops"] = "cannot be negative"


def _check_roles(errors: dict[str, str], value: Any) -> None:
    if value is None:
        return
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list | tuple):
        errors["role"] = f"must be a role or a list of roles, not {value!r}"
        return
    unknown = [item for item in items if not isinstance(item, str) or item not in ROLES]
    if unknown:
        shown = ", ".join(repr(item) for item in unknown)
        errors["role"] = f"unknown role {shown}; expected one of " + ", ".join(ROLES)


def _check_section(
    errors: dict[str, str], section: str, value: Any, questions: Mapping[str, str]
) -> None:
    if value is None:
        return
    if not isinstance(value, Mapping):
        errors[section] = f"must be an object of {section.upper()} answers, not {value!r}"
        return
    for key in sorted(set(value) - set(questions), key=str):
        errors[f"{section}.{key}"] = "unknown question"
    for key in questions:
        _check_bool(errors, f"{section}.{key}", value.get(key))


# --- parsed input ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answers:
    is_ai_system: bool
    prohibited_practices: tuple[str, ...]
    annex_i_safety_component: bool
    annex_iii_points: tuple[str, ...]
    art_6_3_derogations: tuple[str, ...]
    performs_profiling: bool
    transparency_triggers: tuple[str, ...]
    general_purpose: bool
    training_flops: int | float | None
    roles: tuple[str, ...]
    gdpr: Mapping[str, bool | None]
    ccpa: Mapping[str, bool | None]
    emotion_recognition_setting: str | None = None
    emotion_recognition_medical_or_safety: bool | None = None
    biometric_categorisation_sensitive_traits: bool | None = None
    biometric_categorisation_exception: bool | None = None


@dataclass(frozen=True)
class _Org:
    eu_established: bool = False
    # AI Act Art 27(1): a body governed by public law or a private entity providing
    # public services. Not the GDPR's category: see public_authority.
    public_body: bool = False
    # GDPR Art 37(1)(a): a public authority or body (courts acting judicially excepted).
    # None: the profile does not say, and the DPO rule cannot be decided.
    public_authority: bool | None = None
    gdpr_role: str | None = None
    ccpa_business: bool | None = None
    ccpa_cyber_audit: bool = False
    # Cal. Civ. Code 1798.82 reaches any person or business that conducts business in
    # California, whatever its size; None: not answered.
    ca_conducts_business: bool | None = None
    ca_breach_role: str | None = None


def _in_order(given: Iterable[str] | None, allowed: Iterable[str]) -> tuple[str, ...]:
    """The given codes, once each, in the questionnaire's (statutory) order."""
    chosen = set(given or ())
    return tuple(code for code in allowed if code in chosen)


def _parse_answers(answers: Mapping[str, Any]) -> _Answers:
    role = answers.get("role")
    gdpr = answers.get("gdpr") or {}
    ccpa = answers.get("ccpa") or {}
    return _Answers(
        is_ai_system=bool(answers.get("is_ai_system")),
        prohibited_practices=_in_order(answers.get("prohibited_practices"), ART5_PRACTICES),
        annex_i_safety_component=bool(answers.get("annex_i_safety_component")),
        annex_iii_points=_in_order(answers.get("annex_iii_points"), ANNEX_III_POINTS),
        art_6_3_derogations=_in_order(answers.get("art_6_3_derogations"), ART_6_3_DEROGATIONS),
        performs_profiling=bool(answers.get("performs_profiling")),
        transparency_triggers=_in_order(
            answers.get("transparency_triggers"), TRANSPARENCY_TRIGGERS
        ),
        general_purpose=bool(answers.get("general_purpose")),
        training_flops=answers.get("training_flops"),
        roles=_in_order([role] if isinstance(role, str) else role, ROLES),
        gdpr={key: gdpr.get(key) for key in GDPR_FLAGS},
        ccpa={key: ccpa.get(key) for key in CCPA_FLAGS},
        emotion_recognition_setting=answers.get("emotion_recognition_setting") or None,
        emotion_recognition_medical_or_safety=answers.get("emotion_recognition_medical_or_safety"),
        biometric_categorisation_sensitive_traits=answers.get(
            "biometric_categorisation_sensitive_traits"
        ),
        biometric_categorisation_exception=answers.get("biometric_categorisation_exception"),
    )


def _parse_org(org: Mapping[str, Any] | None) -> _Org:
    if not org:
        return _Org()
    return _Org(
        eu_established=bool(org.get("eu_established")),
        public_body=bool(org.get("public_body")),
        public_authority=org.get("public_authority"),
        gdpr_role=org.get("gdpr_role"),
        ccpa_business=org.get("ccpa_business"),
        ccpa_cyber_audit=bool(org.get("ccpa_cyber_audit")),
        ca_conducts_business=org.get("ca_conducts_business"),
        ca_breach_role=org.get("ca_breach_role") or None,
    )


# --- assessment --------------------------------------------------------------------------


@dataclass
class _Outcome:
    tier: str = "out-of-scope"
    transparency_obligations: list[str] = field(default_factory=list)
    ai_act_reasons: list[str] = field(default_factory=list)
    gdpr_applies: bool = False
    gdpr_flags: list[str] = field(default_factory=list)
    gdpr_reasons: list[str] = field(default_factory=list)
    ccpa_applies: bool = False
    ccpa_flags: list[str] = field(default_factory=list)
    ccpa_reasons: list[str] = field(default_factory=list)
    tokens: set[str] = field(default_factory=set)


def classify(answers: dict, org: dict | None = None) -> dict:
    """EU AI Act tier, GDPR and CCPA applicability for one asset, each with its reasons.

    `org` is the organisation profile; when it is None, an "org" key inside the answers
    is used instead (the layout of the `classify` command's input file). Raises
    InvalidAnswers (a ValueError) naming every malformed answer.
    """
    outcome = _assess(answers, org)
    return {
        "eu_ai_act": {
            "tier": outcome.tier,
            "transparency_obligations": outcome.transparency_obligations,
            "reasons": outcome.ai_act_reasons,
        },
        "gdpr": {
            "applies": outcome.gdpr_applies,
            "flags": outcome.gdpr_flags,
            "reasons": outcome.gdpr_reasons,
        },
        "ccpa": {
            "applies": outcome.ccpa_applies,
            "flags": outcome.ccpa_flags,
            "reasons": outcome.ccpa_reasons,
        },
    }


def facts(answers: dict, org: dict | None = None) -> list[str]:
    """The sorted fact tokens (docs/catalog-format.md) of the same assessment as classify()."""
    return sorted(_assess(answers, org).tokens)


def _assess(answers: dict, org: dict | None) -> _Outcome:
    errors = validate_answers(answers)
    if org is None and isinstance(answers, Mapping):
        org = answers.get("org")
    else:
        errors.update(_validate_org(org))
    if errors:
        raise InvalidAnswers(errors)
    parsed, profile = _parse_answers(answers), _parse_org(org)
    outcome = _Outcome()
    _assess_ai_act(parsed, outcome)
    _assess_gdpr(parsed, profile, outcome)
    _assess_ccpa(parsed, profile, outcome)
    if profile.eu_established:
        outcome.tokens.add("org:eu_established")
    if profile.public_body:
        outcome.tokens.add("org:public_body")
    if profile.public_authority:
        outcome.tokens.add("org:public_authority")
    return outcome


def _role_note(roles: tuple[str, ...]) -> str:
    if not roles:
        return ""
    return f"; role{'s' if len(roles) > 1 else ''}: {', '.join(roles)}"


def _assess_ai_act(a: _Answers, out: _Outcome) -> None:
    reasons = out.ai_act_reasons
    note = _role_note(a.roles)
    candidates: list[str] = []
    out.tokens.update(f"role:{role}" for role in a.roles)

    if a.is_ai_system:
        out.tokens.add("ai_system")
        candidates.append("minimal")
        candidates += _system_rules(a, out, note)
    else:
        system_answers = [
            name
            for name in (
                "prohibited_practices",
                "annex_i_safety_component",
                "annex_iii_points",
                "art_6_3_derogations",
                "transparency_triggers",
                "emotion_recognition_setting",
                "biometric_categorisation_sensitive_traits",
            )
            if getattr(a, name)
        ]
        if a.general_purpose:
            reasons.append(
                "A general-purpose AI model is not an AI system under Art. 3(1), but Chapter V "
                "(Arts. 51-56) regulates it as a model" + note
            )
        else:
            reasons.append(
                "Not an AI system under Art. 3(1) and not a general-purpose AI model, so no "
                "AI Act tier applies"
            )
        if system_answers:
            reasons.append(
                "Answers on " + ", ".join(system_answers) + " were not used: those rules "
                "concern AI systems only"
            )

    candidates += _gpai_rules(a, out, note)
    out.tier = max(candidates, key=TIERS.index) if candidates else "out-of-scope"
    out.tokens.add(f"tier:{out.tier}")

    if out.tier == "minimal":
        reasons.append(
            "No rule places the system in a higher tier (no Art. 5 practice, high-risk use, "
            "Art. 50 trigger or general-purpose model), so it is minimal risk: only AI literacy "
            "(Art. 4) and voluntary codes of conduct (Art. 95) apply" + note
        )
    elif len(set(candidates) - {"minimal"}) > 1:
        reasons.append(
            f"Several rules apply; the strictest sets the tier, which is {out.tier} (order: "
            + " < ".join(TIERS)
            + ")"
        )
    if out.tier != "out-of-scope" and not a.roles:
        reasons.append(
            "No AI Act role (provider, deployer, importer or distributor) was given, so the "
            "obligations that depend on the role cannot be selected"
        )


def _system_rules(a: _Answers, out: _Outcome, note: str) -> list[str]:
    """Tiers that the rules for AI systems (Arts. 5, 6 and 50) give; adds tokens and reasons."""
    reasons, tokens = out.ai_act_reasons, out.tokens
    tiers: list[str] = []

    for code in a.prohibited_practices:
        tokens.add(f"prohibited:{code}")
        source = (
            " (a prohibition inserted by Regulation (EU) 2026/1744)"
            if code in _OMNIBUS_PRACTICES
            else ""
        )
        reasons.append(
            f"Art. {code} ({ART5_PRACTICES[code]}) is a prohibited practice{source}, so the "
            "system may not be placed on the market, put into service or used" + note
        )
        tiers.append("prohibited")

    tiers += _art5_cross_checks(a, out, note)

    if a.annex_i_safety_component:
        tokens.add("annex_i")
        reasons.append(
            "The system is, or is a safety component of, a product under the Annex I "
            "legislation that needs third-party conformity assessment, so it is high-risk under "
            "Art. 6(1)" + note
        )
        tiers.append("high")

    if a.annex_iii_points:
        tiers += _annex_iii_rules(a, out, note)
    elif a.art_6_3_derogations:
        reasons.append(
            "The Art. 6(3) derogations given were not used: they only concern systems listed "
            "in Annex III, and no Annex III point was selected"
        )

    for code in a.transparency_triggers:
        tokens.add(f"transparency:{code}")
        out.transparency_obligations.append(code)
        holder = "provider" if code in ("50(1)", "50(2)") else "deployer"
        reasons.append(
            f"Art. {code} applies because the system {TRANSPARENCY_TRIGGERS[code]}: its "
            f"{holder} has a transparency duty, which is listed whatever the tier" + note
        )
        tiers.append("limited")
    return tiers


def _art5_cross_checks(a: _Answers, out: _Outcome, note: str) -> list[str]:
    """Annex III 1(c) and 1(b) name uses that Art 5(1)(f) and (g) prohibit in part: the
    setting and purpose decide between high-risk and prohibited, so check them here."""
    reasons, tokens = out.ai_act_reasons, out.tokens
    tiers: list[str] = []

    emotion = "1(c)" in a.annex_iii_points or a.emotion_recognition_setting is not None
    setting = a.emotion_recognition_setting
    if emotion and "5(1)(f)" not in a.prohibited_practices:
        if setting in ("workplace", "education"):
            where = EMOTION_SETTINGS[setting]
            if a.emotion_recognition_medical_or_safety:
                reasons.append(
                    f"Emotion recognition {where} is put in place for medical or safety reasons "
                    "only, so the exception in Art. 5(1)(f) applies and the practice is not "
                    "prohibited; Annex III point 1(c) and Art. 50(3) still apply to it" + note
                )
            else:
                tokens.add("prohibited:5(1)(f)")
                reasons.append(
                    f"Art. 5(1)(f) prohibits inferring emotions {where}, except for medical or "
                    "safety reasons, which were not given: the system may not be placed on "
                    "the market, put into service or used for this purpose, whatever Annex III "
                    "point 1(c) says" + note
                )
                tiers.append("prohibited")
        elif setting == "other":
            reasons.append(
                "Emotion recognition is used outside the workplace and education institutions, "
                "so the Art. 5(1)(f) prohibition does not reach it"
            )
        else:
            reasons.append(
                "The setting of the emotion recognition was not given: Art. 5(1)(f) prohibits "
                "inferring emotions in the workplace and in education institutions except for "
                "medical or safety reasons, so the question must be answered before the tier "
                "can be relied on"
            )

    traits = a.biometric_categorisation_sensitive_traits
    categorises = "1(b)" in a.annex_iii_points or traits is not None
    if categorises and "5(1)(g)" not in a.prohibited_practices:
        listed = ", ".join(ART5_1G_TRAITS[:-1]) + " or " + ART5_1G_TRAITS[-1]
        if traits and a.biometric_categorisation_exception:
            reasons.append(
                "The biometric categorisation infers traits listed in Art. 5(1)(g), but it only "
                "labels or filters lawfully acquired biometric datasets or is done in the area "
                "of law enforcement, which the article excepts; Annex III point 1(b) still "
                "applies" + note
            )
        elif traits:
            tokens.add("prohibited:5(1)(g)")
            reasons.append(
                f"Art. 5(1)(g) prohibits biometric categorisation that deduces or infers {listed}; "
                "the system may not be placed on the market, put into service or used for "
                "this purpose, whatever Annex III point 1(b) says" + note
            )
            tiers.append("prohibited")
        elif traits is False:
            reasons.append(
                f"The biometric categorisation does not infer {listed}, so the Art. 5(1)(g) "
                "prohibition does not reach it"
            )
        else:
            reasons.append(
                "Whether the biometric categorisation infers the traits listed in Art. 5(1)(g) "
                f"({listed}) was not given; that practice is prohibited, so the question must "
                "be answered before the tier can be relied on"
            )
    return tiers


def _annex_iii_rules(a: _Answers, out: _Outcome, note: str) -> list[str]:
    reasons, tokens = out.ai_act_reasons, out.tokens
    for point in a.annex_iii_points:
        area = point.split("(", 1)[0]
        tokens.update({f"annex_iii:{area}", f"annex_iii:{point}"})
    listed = ", ".join(f"{point} ({ANNEX_III_POINTS[point]})" for point in a.annex_iii_points)
    plural = "s" if len(a.annex_iii_points) > 1 else ""

    if a.art_6_3_derogations and not a.performs_profiling:
        claimed = "; ".join(
            f"({code}) {ART_6_3_DEROGATIONS[code]}" for code in a.art_6_3_derogations
        )
        if a.annex_i_safety_component:
            # Art 6(3) only lifts the Art 6(2) route; an Annex I system stays high-risk, and
            # tagging it as derogated would wrongly switch off its high-risk requirements.
            reasons.append(
                f"Annex III point{plural} {listed} would be covered by the Art. 6(3) derogation "
                f"{claimed}, but that does not lower the tier: Annex I already makes the system "
                "high-risk"
            )
        else:
            tokens.add("art_6_3_derogation")
            reasons.append(
                f"Annex III point{plural} {listed} would make the system high-risk under Art. "
                f"6(2), but the Art. 6(3) derogation applies because {claimed}, and the system "
                "does not profile natural persons; the provider must document this assessment "
                "(Art. 6(4)) and register the system (Art. 49(2))" + note
            )
        return []

    tokens.add("annex_iii")
    reasons.append(
        f"Annex III point{plural} {listed} make{'' if plural else 's'} the system "
        "high-risk under Art. 6(2)" + note
    )
    for code in a.art_6_3_derogations:
        reasons.append(
            f"Art. 6(3) derogation ({code}) does not apply because the system performs "
            "profiling of natural persons, and an Annex III system that profiles is always "
            "high-risk"
        )
    return ["high"]


def _gpai_rules(a: _Answers, out: _Outcome, note: str) -> list[str]:
    reasons, tokens = out.ai_act_reasons, out.tokens
    flops = a.training_flops
    if not a.general_purpose:
        if flops is not None and float(flops) > SYSTEMIC_RISK_FLOPS:
            reasons.append(
                f"Training compute of {float(flops):.3g} FLOPs was given, but the Art. 51 "
                "systemic-risk presumption only concerns general-purpose AI models, and this "
                "one was not marked as general-purpose"
            )
        return []

    tokens.add("gpai")
    reasons.append(
        "The model is a general-purpose AI model (Art. 3(63)); its provider has the Art. 53 "
        "obligations" + note
    )
    if flops is None:
        reasons.append(
            "Training compute was not given, so systemic risk is not presumed under Art. 51(2); "
            "the Commission may still designate the model under Art. 51(1)(b)"
        )
        return ["gpai"]
    # Compared as floats on purpose: JSON's 1e25 and the integer 10**25 both mean "exactly
    # the threshold", which Art 51(2) ("greater than") does not meet.
    if float(flops) > SYSTEMIC_RISK_FLOPS:
        tokens.add("gpai-systemic")
        reasons.append(
            f"Training compute of {float(flops):.8g} FLOPs is greater than 10^25, so the model "
            "is presumed to have high-impact capabilities and systemic risk (Art. 51(2)), with "
            "the Art. 55 obligations" + note
        )
        return ["gpai-systemic"]
    reasons.append(
        f"Training compute of {float(flops):.8g} FLOPs does not exceed 10^25, so systemic risk "
        "is not presumed under Art. 51(2)"
    )
    return ["gpai"]


def _assess_gdpr(a: _Answers, org: _Org, out: _Outcome) -> None:
    answers, reasons, tokens = a.gdpr, out.gdpr_reasons, out.tokens
    if not answers["personal_data"]:
        reasons.append("No personal data is processed, so the GDPR does not apply (Art. 2(1))")
        unused = [key for key in _GDPR_FLAG_TOKENS if answers[key]]
        if unused:
            reasons.append(
                "Answers on " + ", ".join(unused) + " were not used because no personal data "
                "is processed; check the personal_data answer"
            )
        return

    tokens.add("personal_data")
    # Art 3: an establishment in the EU (3(1)), or people in the EU offered goods or
    # services or monitored (3(2)). Unknown stays unknown: an unanswered question is never
    # read as "people in the EU are concerned".
    eu_subjects = answers["eu_data_subjects"]
    if org.eu_established:
        reasons.append(
            "Personal data is processed in the context of an establishment in the EU, so the "
            "GDPR applies (Art. 3(1))"
        )
    elif eu_subjects:
        reasons.append(
            "Personal data of people in the EU is processed, so the GDPR applies to an "
            "organisation outside the EU that offers them goods or services or monitors their "
            "behaviour (Art. 3(2))"
        )
    elif eu_subjects is None:
        reasons.append(
            "Personal data is processed and the organisation is not established in the EU, but "
            "whether people in the EU are concerned was not answered, so the territorial scope "
            "of Art. 3(2) cannot be decided and the GDPR is not applied; the question must be "
            "answered"
        )
        return
    else:
        reasons.append(
            "Personal data is processed, but the organisation is not established in the EU and "
            "no people in the EU are concerned, so the territorial scope of Art. 3 is not met"
        )
        return

    out.gdpr_applies = True
    tokens.add("gdpr:applies")
    if org.gdpr_role == "processor":
        tokens.add("gdpr:processor")
        reasons.append("The organisation acts as a processor (Art. 4(8); contract under Art. 28)")
    elif org.gdpr_role in ("controller", "joint-controller"):
        tokens.add("gdpr:controller")
        kind = (
            "a joint controller (Art. 26)"
            if org.gdpr_role == "joint-controller"
            else ("the controller (Art. 4(7))")
        )
        reasons.append(f"The organisation acts as {kind}")
    else:
        reasons.append(
            "The organisation profile does not say whether it acts as controller or processor"
        )
    if org.public_authority:
        reasons.append(
            "The organisation profile records a public authority or body, so a data protection "
            "officer is mandatory (Art. 37(1)(a))"
        )
    elif org.public_authority is None:
        reasons.append(
            "The organisation profile does not say whether the organisation is a public "
            "authority or body, so whether Art. 37(1)(a) makes a data protection officer "
            "mandatory cannot be decided; answer it in the profile"
        )

    details = {
        "special_categories": "Special categories of personal data are processed (Art. 9)",
        "automated_decisions": "Decisions based solely on automated processing with legal or "
        "similarly significant effects are taken (Art. 22)",
        "large_scale": "Personal data is processed on a large scale",
        "children": "Children's personal data is processed (Art. 8 and recital 38)",
        "transfers_outside_eu": "Personal data is transferred outside the EU/EEA (Arts. 44-49)",
    }
    for key, token in _GDPR_FLAG_TOKENS.items():
        if answers[key]:
            out.gdpr_flags.append(token)
            tokens.add(f"gdpr:{token}")
            reasons.append(details[key])

    dpia_grounds = []
    if answers["automated_decisions"]:
        dpia_grounds.append(
            "automated decisions with legal or similarly significant effects (Art. 35(3)(a))"
        )
    if answers["special_categories"] and answers["large_scale"]:
        dpia_grounds.append("large-scale processing of special categories (Art. 35(3)(b))")
    if out.tier == "high":
        dpia_grounds.append(
            "a high-risk AI system processing personal data, a new technology likely to create "
            "a high risk (Art. 35(1); the deployer uses the Art. 13 information, AI Act Art. "
            "26(9))"
        )
    if dpia_grounds:
        out.gdpr_flags.append("dpia_required")
        tokens.add("gdpr:dpia_required")
        reasons.append("A DPIA is likely required because of " + "; ".join(dpia_grounds))


def _assess_ccpa(a: _Answers, org: _Org, out: _Outcome) -> None:
    answers, reasons, tokens = a.ccpa, out.ccpa_reasons, out.tokens
    if not answers["california_consumers"]:
        reasons.append(
            "No personal information of California consumers is processed, so the CCPA does "
            "not apply"
        )
        return
    tokens.update({"personal_data", "ca:personal_information"})
    _assess_ca_breach_notice(org, out)

    thresholds, source = answers["business_thresholds_met"], "the answers"
    if thresholds is None:
        thresholds, source = org.ccpa_business, "the organisation profile"
    if thresholds is None:
        reasons.append(
            "California consumers are concerned, but neither the answers nor the organisation "
            "profile say whether the organisation meets the 'business' thresholds of Cal. Civ. "
            "Code 1798.140(d), so the CCPA is not applied; answer that question to decide"
        )
        return
    if not thresholds:
        reasons.append(
            f"California consumers are concerned, but according to {source} the organisation "
            "does not meet the 'business' thresholds of Cal. Civ. Code 1798.140(d) (revenue, "
            "volume of consumers, or share of revenue from selling or sharing), so the CCPA "
            "does not apply"
        )
        return

    out.ccpa_applies = True
    tokens.add("ccpa:applies")
    reasons.append(
        "California consumers' personal information is processed by an organisation that "
        f"meets the 'business' thresholds of Cal. Civ. Code 1798.140(d) (per {source})"
    )
    triggers = []
    if answers["sells_or_shares"]:
        out.ccpa_flags.append("sells_or_shares")
        triggers.append("selling or sharing (b)(1)")
        reasons.append(
            "Personal information is sold or shared: opt-out right and link (1798.120, 1798.135)"
        )
    if answers["sensitive_pi"]:
        out.ccpa_flags.append("sensitive_pi")
        triggers.append("sensitive personal information (b)(2)")
        reasons.append(
            "Sensitive personal information is processed: right to limit its use (1798.121)"
        )
    if answers["admt_significant_decisions"]:
        out.ccpa_flags.append("admt")
        triggers.append("ADMT for significant decisions (b)(3)")
        reasons.append(
            "Automated decisionmaking technology is used for significant decisions: pre-use "
            "notice, opt-out and access duties (11 CCR 7200, 7220-7222)"
        )
    if triggers:
        out.ccpa_flags.append("risk_assessment")
        reasons.append(
            "A risk assessment is required under 11 CCR 7150(b) because of " + ", ".join(triggers)
        )
    if org.ccpa_cyber_audit:
        out.ccpa_flags.append("cyber_audit")
        reasons.append(
            "The organisation profile records that the 11 CCR 7120(b) thresholds are met, so "
            "an annual cybersecurity audit is required"
        )
    tokens.update(f"ccpa:{flag}" for flag in out.ccpa_flags)


def _assess_ca_breach_notice(org: _Org, out: _Outcome) -> None:
    """Cal. Civ. Code 1798.82 sits outside the CCPA title and has no size thresholds: it
    binds any person or business that conducts business in California and owns or licenses
    (subdivision (a)) or maintains (subdivision (b)) computerized personal information.
    Unanswered profile questions leave the duty undecided, never assumed."""
    reasons, tokens = out.ccpa_reasons, out.tokens
    if org.ca_conducts_business is False:
        reasons.append(
            "The organisation profile records that the organisation does not conduct business "
            "in California, so the breach-notice statute (Cal. Civ. Code 1798.82) does not "
            "apply"
        )
        return
    if org.ca_conducts_business is None:
        reasons.append(
            "California residents' personal information is processed, but the organisation "
            "profile does not say whether the organisation conducts business in California, so "
            "whether the breach-notice statute (Cal. Civ. Code 1798.82, which has no size "
            "threshold) applies cannot be decided; answer it in the profile"
        )
        return
    tokens.add("ca:conducts_business")
    role = org.ca_breach_role
    if role in ("owner", "both"):
        tokens.add("ca:breach_owner")
        reasons.append(
            "The organisation conducts business in California and owns or licenses computerized "
            "personal information, so after a breach it notifies affected California residents "
            "within 30 calendar days (Cal. Civ. Code 1798.82(a), as amended by SB 446), whether "
            "or not it is a CCPA business"
        )
    if role in ("maintainer", "both"):
        tokens.add("ca:breach_maintainer")
        reasons.append(
            "The organisation maintains computerized personal information it does not own, so "
            "after a breach it notifies the owner or licensee immediately following discovery "
            "(Cal. Civ. Code 1798.82(b))"
        )
    if role is None:
        reasons.append(
            "The organisation conducts business in California, but the organisation profile "
            "does not say whether it owns or licenses the personal information (1798.82(a)) or "
            "maintains it for others (1798.82(b)), so which breach-notice duty applies cannot "
            "be decided; answer it in the profile"
        )


def vocabulary() -> frozenset[str]:
    """Every fact token the classifier can emit (docs/catalog-format.md). Catalog rules
    (requirements, controls, threats) may use these tokens and no others: a token outside
    this set never matches, so the rule would silently never fire."""
    return frozenset(
        {
            "ai_system",
            "annex_i",
            "annex_iii",
            "art_6_3_derogation",
            "gpai",
            "gpai-systemic",
            "org:eu_established",
            "org:public_body",
            "org:public_authority",
            "personal_data",
            "gdpr:applies",
            "gdpr:controller",
            "gdpr:processor",
            "gdpr:dpia_required",
            "ccpa:applies",
            "ccpa:sells_or_shares",
            "ccpa:sensitive_pi",
            "ccpa:admt",
            "ccpa:risk_assessment",
            "ccpa:cyber_audit",
            "ca:personal_information",
            "ca:conducts_business",
            "ca:breach_owner",
            "ca:breach_maintainer",
            *(f"tier:{tier}" for tier in TIERS),
            *(f"prohibited:{code}" for code in ART5_PRACTICES),
            *(f"annex_iii:{area}" for area in ANNEX_III_AREAS),
            *(f"annex_iii:{point}" for point in ANNEX_III_POINTS),
            *(f"transparency:{code}" for code in TRANSPARENCY_TRIGGERS),
            *(f"role:{role}" for role in ROLES),
            *(f"gdpr:{token}" for token in _GDPR_FLAG_TOKENS.values()),
        }
    )
