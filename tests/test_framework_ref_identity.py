"""Requirements are identified by (framework, ref), never by ref alone.

"Art. 14" is human oversight in the EU AI Act and the duty to inform in the GDPR;
"Art. 15" is accuracy, robustness and cybersecurity in one and the right of access in
the other. The dossier once printed GDPR Art. 14 under the AI Act's "Human oversight"
and GDPR Art. 15 under "Accuracy" because its template matched by ref. Here the two
same-numbered articles get opposite statuses, and every surface must show each under
its own law: the stored coverage, the reports' selectors, the data of the framework
report and of the dossier, and the dossier's HTML. A static check then looks for
ref-only matching in the templates and the Python that reads requirements.
"""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from riskhub.accounts.models import User
from riskhub.compliance import catalog_loader
from riskhub.compliance import services as compliance
from riskhub.compliance.models import Control, RequirementStatus
from riskhub.inventory import services as inventory
from riskhub.inventory.models import Asset
from riskhub.reports import kinds, rendering
from riskhub.reports import selectors as report_selectors
from riskhub.reports.models import Kind, Report
from riskhub.risk import catalog_loader as risk_catalog_loader

ROOT = Path(__file__).resolve().parent.parent

HIRING_SYSTEM = {
    "is_ai_system": True,
    "annex_iii_points": ["4(a)"],
    "role": ["provider", "deployer"],
    "performs_profiling": True,
    "gdpr": {"personal_data": True, "automated_decisions": True},
    "ccpa": {
        "california_consumers": True,
        "business_thresholds_met": True,
        "admt_significant_decisions": True,
    },
}

AI_ACT_14, GDPR_14 = ("eu-ai-act", "Art. 14"), ("gdpr", "Art. 14")
AI_ACT_15, GDPR_15 = ("eu-ai-act", "Art. 15"), ("gdpr", "Art. 15")
# Human oversight is implemented on the system (AI Act Art. 14 met, GDPR Art. 14 a gap);
# access requests are handled organisation-wide (GDPR Art. 15 met, AI Act Art. 15 a gap).
EXPECTED = {AI_ACT_14: "met", GDPR_14: "gap", AI_ACT_15: "gap", GDPR_15: "met"}


def _implement(actor: User, code: str, scope: str, asset: Asset | None = None) -> None:
    implementation = compliance.implementation_create(
        actor=actor,
        control=Control.objects.get(code=code),
        scope=scope,
        asset=asset,
        status="implemented",
    )
    compliance.evidence_add_link(
        actor=actor,
        implementation=implementation,
        url=f"https://wiki.example.com/{code.lower()}",
        description=f"{code} procedure",
    )


@pytest.fixture
def system(db: None, officer: User, django_capture_on_commit_callbacks: Any) -> Asset:
    risk_catalog_loader.load(stdout=io.StringIO())  # the threats controls link to
    catalog_loader.load(stdout=io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        system = inventory.asset_create(
            actor=officer,
            kind="system",
            name="Hiring Screener",
            intended_purpose="Rank job applications for recruiters.",
        )
        inventory.classification_answer(actor=officer, asset=system, answers=HIRING_SYSTEM)
        _implement(officer, "CTL-HUMAN-OVERSIGHT", "system", system)
        _implement(officer, "CTL-RIGHTS-REQUESTS", "organisation")
    return system


def _stored(system: Asset) -> dict[tuple[str, str], str]:
    return {
        (s.framework.slug, s.requirement.ref): s.status
        for s in RequirementStatus.objects.filter(asset=system).select_related(
            "framework", "requirement"
        )
    }


def _progress(percent: int, message: str) -> None:
    pass


def test_the_stored_coverage_keeps_same_numbered_articles_apart(system: Asset) -> None:
    stored = _stored(system)
    assert {key: stored.get(key) for key in EXPECTED} == EXPECTED


def test_the_reports_selectors_key_each_obligation_by_framework_and_ref(system: Asset) -> None:
    state = report_selectors.load_state(report_selectors.Scope(system=str(system.uuid)), None)
    comp = report_selectors.load_compliance(state)
    mine = {
        comp.requirement_key(requirement): status
        for requirement, status, _, _ in comp.obligations[system.pk]
    }
    assert {key: mine.get(key) for key in EXPECTED} == EXPECTED
    assert mine == _stored(system)


@pytest.mark.parametrize("slug", ["eu-ai-act", "gdpr"])
def test_a_framework_report_shows_only_its_own_laws_articles(system: Asset, slug: str) -> None:
    data = kinds.build(Kind.FRAMEWORK_COMPLIANCE, {"framework": slug}, _progress)
    (detail,) = (row for row in data["detail"] if row["asset"] == str(system.uuid))
    shown = {o["ref"]: o["status"] for o in detail["obligations"]}
    assert shown == {ref: s for (fw, ref), s in _stored(system).items() if fw == slug}
    assert shown["Art. 14"] == EXPECTED[(slug, "Art. 14")]
    assert shown["Art. 15"] == EXPECTED[(slug, "Art. 15")]
    # The per-requirement table counts this asset once, under the right status.
    by_ref = {r["ref"]: r for r in data["requirements"]}
    for ref in ("Art. 14", "Art. 15"):
        assert by_ref[ref][EXPECTED[(slug, ref)]] == 1 and by_ref[ref]["applicable"] == 1


def _dossier(system: Asset, officer: User) -> tuple[dict[str, Any], str]:
    parameters = {"system": str(system.uuid)}
    data = kinds.build(Kind.SYSTEM_DOSSIER, parameters, _progress)
    report = Report(kind=Kind.SYSTEM_DOSSIER, parameters=parameters, requested_by=officer)
    report.created_at = timezone.now()
    return data, rendering.html_for(report, data)


def _cell(html: str, heading: str) -> str:
    found = re.search(
        rf"<th scope=\"row\">{re.escape(heading)}</th><td>(.*?)</td>", html, re.DOTALL
    )
    assert found, heading
    return found.group(1)


def test_the_dossier_shows_each_article_under_its_own_law(system: Asset, officer: User) -> None:
    data, html = _dossier(system, officer)
    # The embedded data names the framework of each obligation.
    embedded = {(o["framework_slug"], o["ref"]): o["status"] for o in data["obligations"]}
    assert {key: embedded.get(key) for key in EXPECTED} == EXPECTED
    assert embedded == _stored(system)

    # Section 3: "Human oversight (Art. 14)" is the AI Act's article, met; not the
    # GDPR's duty to inform, which is a gap.
    oversight = _cell(html, "Human oversight (Art. 14)")
    assert 'class="st st-met"' in oversight and "st-gap" not in oversight
    ai_act_14 = next(o for o in data["obligations"] if (o["framework_slug"], o["ref"]) == AI_ACT_14)
    gdpr_14 = next(o for o in data["obligations"] if (o["framework_slug"], o["ref"]) == GDPR_14)
    assert ai_act_14["reason"] in oversight
    assert gdpr_14["reason"] not in oversight or gdpr_14["reason"] == ai_act_14["reason"]

    # Section 4: "Accuracy, robustness and cybersecurity (Art. 15)" is the AI Act's
    # article, a gap; the GDPR's right of access (met) does not appear there.
    section = html[html.index('id="s4"') : html.index('id="s5"')]
    assert section.count("Art. 15") == 1
    assert 'class="st st-gap"' in section and "st-met" not in section

    # Section 8 lists all four, each beside its own law.
    table = html[html.index('id="s8"') : html.index('id="s9"')]
    rows = re.findall(
        r"<tr><td>([^<]*)</td><td><b>(Art\. 1[45])</b></td><td>[^<]*</td>"
        r"<td><span class=\"st st-(\w+)\">",
        table,
    )
    assert sorted(rows) == sorted(
        [
            ("EU AI Act", "Art. 14", "met"),
            ("GDPR", "Art. 14", "gap"),
            ("EU AI Act", "Art. 15", "gap"),
            ("GDPR", "Art. 15", "met"),
        ]
    )


def test_the_dossier_says_when_human_oversight_does_not_apply(
    db: None, officer: User, django_capture_on_commit_callbacks: Any
) -> None:
    """A GDPR-only system: the GDPR's Art. 14 applies, the AI Act's does not, and the
    dossier must not borrow the former for the latter."""
    risk_catalog_loader.load(stdout=io.StringIO())  # the threats controls link to
    catalog_loader.load(stdout=io.StringIO())
    with django_capture_on_commit_callbacks(execute=True):
        system = inventory.asset_create(
            actor=officer, kind="system", name="Payroll rules", intended_purpose="Payroll."
        )
        inventory.classification_answer(
            actor=officer,
            asset=system,
            answers={"is_ai_system": False, "gdpr": {"personal_data": True}},
        )
    stored = _stored(system)
    assert GDPR_14 in stored and AI_ACT_14 not in stored
    _, html = _dossier(system, officer)
    oversight = _cell(html, "Human oversight (Art. 14)")
    assert "Does not apply" in oversight and "st-" not in oversight


# --- static check: no ref-only matching -----------------------------------------------

TEMPLATES = ROOT / "templates"
# All of RiskHub's Python but its migrations: selectors, services, the coverage rule,
# the reports, the dashboard, the catalog loader, the APIs.
PYTHON = sorted(p for p in ROOT.glob("riskhub/**/*.py") if "migrations" not in p.parts)
_TAG = re.compile(r"{%-?\s*(if|elif|regroup|with)\b(.*?)-?%}", re.DOTALL)
_REF = re.compile(r"(\bref\b|requirement__ref)\s*(==|!=|\bin\b)|(==|!=)\s*[\w.]*\bref\b")
_GROUP = re.compile(r"\bby\s+[\w.]*\bref\b|dictsort:\"ref\"")


def ref_only_template_matches(text: str) -> list[str]:
    """Template tags that compare or group requirements by ref without the framework."""
    found = []
    for match in _TAG.finditer(text):
        tag = match.group(0)
        if (_REF.search(tag) or _GROUP.search(tag)) and "framework" not in tag:
            found.append(tag)
    return found


def _is_ref(node: ast.AST) -> bool:
    """`x.ref`, `x["ref"]`, `x["requirement__ref"]`: a requirement's ref."""
    if isinstance(node, ast.Attribute):
        return node.attr == "ref"
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return node.slice.value in ("ref", "requirement__ref")
    return False


def _mentions_framework(node: ast.AST) -> bool:
    for child in ast.walk(node):
        name = (
            child.attr
            if isinstance(child, ast.Attribute)
            else child.id
            if isinstance(child, ast.Name)
            else child.arg
            if isinstance(child, ast.keyword)
            else child.value
            if isinstance(child, ast.Constant) and isinstance(child.value, str)
            else ""
        )
        if name and "framework" in name:
            return True
    return False


class _RefOnly(ast.NodeVisitor):
    """Finds dicts keyed by ref, lookups by ref, comparisons with a ref and ORM filters
    on ref, unless the framework takes part in the same expression (or the collection
    iterated is one framework's requirements)."""

    def __init__(self) -> None:
        self.found: list[int] = []
        self.scoped: list[bool] = [False]

    def _flag(self, node: ast.AST) -> None:
        if not self.scoped[-1]:
            self.found.append(getattr(node, "lineno", 0))

    def _comprehension(self, node: ast.DictComp | ast.SetComp | ast.ListComp) -> None:
        scoped = any(_mentions_framework(g.iter) for g in node.generators)
        self.scoped.append(self.scoped[-1] or scoped)
        if isinstance(node, ast.DictComp) and _is_ref(node.key):
            self._flag(node)
        self.generic_visit(node)
        self.scoped.pop()

    visit_DictComp = _comprehension
    visit_SetComp = _comprehension
    visit_ListComp = _comprehension

    def visit_Dict(self, node: ast.Dict) -> None:
        if any(key is not None and _is_ref(key) for key in node.keys):
            self._flag(node)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if _is_ref(node.slice):
            self._flag(node)
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        self.scoped.append(self.scoped[-1] or _mentions_framework(node))
        self.generic_visit(node)
        self.scoped.pop()

    def visit_Compare(self, node: ast.Compare) -> None:
        if any(_is_ref(side) for side in [node.left, *node.comparators]):
            self._flag(node)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
        if method in {"filter", "exclude", "get", "get_or_create", "update_or_create"}:
            names = {k.arg or "" for k in node.keywords}
            by_ref = any(n == "ref" or n.endswith("__ref") for n in names)
            if by_ref and not any("framework" in n for n in names):
                self._flag(node)
        if method in {"get", "setdefault", "pop"} and node.args and _is_ref(node.args[0]):
            self._flag(node)
        self.generic_visit(node)


def ref_only_python_matches(source: str) -> list[int]:
    finder = _RefOnly()
    finder.visit(ast.parse(source))
    return finder.found


def test_the_static_check_catches_the_matching_it_forbids() -> None:
    """The check itself: it flags the dossier's old lookup and the usual Python
    shapes, and lets the framework-qualified forms through."""
    old_dossier = '{% for o in data.obligations %}{% if o.ref == "Art. 14" %}x{% endif %}'
    assert ref_only_template_matches(old_dossier)
    assert ref_only_template_matches('{% if "Art. 15" == o.ref %}')
    assert ref_only_template_matches("{% regroup data.obligations by ref as groups %}")
    assert not ref_only_template_matches(
        '{% if o.framework_slug == "eu-ai-act" and o.ref == "Art. 14" %}'
    )
    assert not ref_only_template_matches('{% obligation data.obligations "gdpr" "Art. 14" as o %}')
    assert not ref_only_template_matches("{% if o.reference %}{% if href %}")

    for bad in [
        "by_ref = {r.ref: r for r in requirements}",
        "status = statuses[r.ref]",
        "row = by_ref.get(o['ref'])",
        "hit = [o for o in obligations if o['ref'] == 'Art. 14']",
        "Requirement.objects.get(ref='Art. 14')",
        "RequirementStatus.objects.filter(requirement__ref=ref)",
        "table = {o.ref: o.status}",
    ]:
        assert ref_only_python_matches(bad), bad
    for good in [
        "by_key = {(r.framework.slug, r.ref): r for r in requirements}",
        "mine = {r.ref: r for r in Requirement.objects.filter(framework=framework)}",
        "hit = [o for o in rows if o['framework'] == slug and o['ref'] == 'Art. 14']",
        "Requirement.objects.get(framework__slug='gdpr', ref='Art. 14')",
        "label = f'{r.framework.short_name} {r.ref}'",
        "row = {'ref': r.ref, 'status': s}",
    ]:
        assert not ref_only_python_matches(good), good


def test_no_template_matches_requirements_by_ref_alone() -> None:
    offenders = {
        str(path.relative_to(ROOT)): tags
        for path in sorted(TEMPLATES.rglob("*.html"))
        if (tags := ref_only_template_matches(path.read_text()))
    }
    assert offenders == {}


def test_no_python_matches_requirements_by_ref_alone() -> None:
    assert ROOT / "riskhub/reports/selectors.py" in PYTHON, PYTHON
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in PYTHON
        if (lines := ref_only_python_matches(path.read_text()))
    }
    assert offenders == {}
