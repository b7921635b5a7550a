"""Fact tokens in the words a reviewer reads (``gdpr:dpia_required`` -> "DPIA likely
required (Art. 35)").

The tokens are inventory's (riskhub.inventory.classification.facts() derives them from
the questionnaire); the compliance rules, the asset history and the pages all name a
token through token_label() here.
"""

from __future__ import annotations

from riskhub.inventory import tiers

_TIER_LABELS = {t.slug: t.phrase for t in tiers.PRECEDENCE}

_FIXED_LABELS = {
    "ai_system": "AI system (Art. 3(1))",
    "annex_i": "Annex I product (Art. 6(1))",
    "annex_iii": "Annex III use (Art. 6(2))",
    "art_6_3_derogation": "Art. 6(3) derogation claimed",
    "gpai": "general-purpose AI model",
    "gpai-systemic": "GPAI model with systemic risk (over 10^25 FLOPs or designated)",
    "org:eu_established": "organisation established in the EU",
    "org:public_body": "body governed by public law or provider of public services",
    "org:public_authority": "public authority or body",
    "personal_data": "personal data processed",
    "ca:personal_information": "California residents' personal information",
    "ca:conducts_business": "conducts business in California",
    "ca:breach_owner": "owns or licenses the personal information (1798.82(a))",
    "ca:breach_maintainer": "maintains personal information for its owner (1798.82(b))",
    "gdpr:applies": "personal data within the GDPR's scope",
    "gdpr:controller": "GDPR role: controller",
    "gdpr:processor": "GDPR role: processor",
    "gdpr:special_categories": "special categories of personal data",
    "gdpr:automated_decisions": "solely automated decisions (Art. 22)",
    "gdpr:large_scale": "large-scale processing",
    "gdpr:children": "children's data",
    "gdpr:transfers": "transfers outside the EU/EEA",
    "gdpr:dpia_required": "DPIA likely required (Art. 35)",
    "ccpa:applies": "CCPA business processing California consumers' data",
    "ccpa:sells_or_shares": "sells or shares personal information",
    "ccpa:sensitive_pi": "sensitive personal information",
    "ccpa:admt": "ADMT used for significant decisions",
    "ccpa:risk_assessment": "11 CCR 7150(b) risk-assessment trigger",
    "ccpa:cyber_audit": "11 CCR 7120(b) cybersecurity-audit thresholds met",
}


def token_label(token: str) -> str:
    """A fact token in the words a reviewer reads."""
    if token in _FIXED_LABELS:
        return _FIXED_LABELS[token]
    prefix, _, rest = token.partition(":")
    if prefix == "tier":
        return f"tier: {_TIER_LABELS.get(rest, rest)}"
    if prefix == "role":
        return f"role: {rest}"
    if prefix == "annex_iii":
        return f"Annex III point {rest}" if "(" in rest else f"Annex III area {rest}"
    if prefix == "prohibited":
        return f"Art. {rest} practice"
    if prefix == "transparency":
        return f"Art. {rest} trigger"
    return token


def token_labels(tokens: list[str]) -> list[str]:
    return [token_label(t) for t in tokens]
