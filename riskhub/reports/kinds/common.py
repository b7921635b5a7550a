"""What every report kind shares: the header, the asset, risk and evidence rows, and
the as-of parsing. One module per kind builds its content from named sections."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from riskhub.common.dates import validate_as_of
from riskhub.compliance import selectors as compliance_figures
from riskhub.compliance import states
from riskhub.inventory.models import Asset
from riskhub.inventory.services import organisation
from riskhub.reports import selectors as sel
from riskhub.risk import selectors as risk_figures
from riskhub.risk.bands import BANDS as RISK_BANDS
from riskhub.risk.models import Risk

Progress = Callable[[int, str], object]
DATA_FORMAT = "riskhub-report/1"
BANDS = [b.slug for b in reversed(RISK_BANDS)]  # highest first
STATUS_LABEL = states.LABELS
EVIDENCE_STATUS_LABEL = {"valid": "Valid", "expiring": "Expiring", "expired": "Expired"}


def iso(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def parse_as_of(value: Any) -> dt.datetime | None:
    """`YYYY-MM-DD` means the end of that day; an ISO datetime is taken as given. Both
    are checked by the one as-of rule (riskhub.common.dates): the request refuses a bad
    one with a field error, and the worker, re-reading a stored row, fails the report
    with the same reason rather than overflowing."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text)
            validate_as_of(day)
            moment = dt.datetime.combine(day, dt.time(23, 59, 59, 999999))
        else:
            moment = dt.datetime.fromisoformat(text)
            validate_as_of(moment)
    except ValueError:
        raise ValidationError(
            {"as_of": ["Give a date as YYYY-MM-DD or an ISO datetime."]}
        ) from None
    except ValidationError as exc:
        raise ValidationError({"as_of": exc.messages}) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def asset_row(state: sel.State, pk: int) -> dict[str, Any]:
    a = state.assets[pk]
    return {
        "id": str(a["uuid"]),
        "name": a["name"],
        "kind": a["kind"],
        "kind_label": Asset.Kind(a["kind"]).label,
        "business_unit": state.bu_name(pk),
        "tier": a["tier"],
        "tier_label": Asset.Tier(a["tier"]).label if a["tier"] else "",
        "lifecycle": a["lifecycle"],
    }


def header(kind: str, parameters: dict[str, Any], state: sel.State, title: str) -> dict[str, Any]:
    org = organisation()
    scope = sel.Scope.from_parameters(parameters)
    words = header_scope_words(state, scope)
    return {
        "format": DATA_FORMAT,
        "kind": kind,
        "title": title,
        "organisation": org.legal_name,
        "as_of": iso(state.as_of),
        "as_of_date": state.today.isoformat(),
        "historical": state.requested is not None,
        "parameters": parameters,
        "scope": {
            "description": words or "whole organisation",
            "business_unit": _name_of(state.business_units.values(), scope.business_unit),
            "system": _name_of(state.assets.values(), scope.system),
            "assets": len(state.in_scope),
        },
    }


def evidence_rows(
    state: sel.State, comp: sel.ComplianceState, requirement_ids: set[int] | None
) -> list[dict[str, Any]]:
    relevant_controls = {
        control
        for req, mapping in comp.mappings.items()
        if requirement_ids is None or req in requirement_ids
        for control in mapping.all_controls
    }
    scope = set(state.in_scope)
    rows = []
    for e in comp.evidence:
        impl = comp.implementations[e["implementation"]]
        if impl["control"] not in relevant_controls or impl["control"] not in comp.controls:
            continue
        if impl["asset"] is not None and impl["asset"] not in scope:
            continue
        control = comp.controls[impl["control"]]
        status = compliance_figures.evidence_status(e["valid_until"], state.today)
        rows.append(
            {
                "id": str(e["uuid"]),
                "control": control.code,
                "control_name": control.name,
                "scope": "Organisation"
                if impl["asset"] is None
                else state.assets[impl["asset"]]["name"],
                "asset_id": None
                if impl["asset"] is None
                else str(state.assets[impl["asset"]]["uuid"]),
                "implementation_status": impl["status"],
                "owner": state.users.get(impl["owner"], "") if impl["owner"] else "",
                "description": e["description"],
                "kind": e["kind"],
                "reference": e["original_name"] or e["url"],
                "file_name": e["original_name"],
                "sha256": e["sha256"],
                "uploaded_by": state.users.get(e["uploaded_by"], "") if e["uploaded_by"] else "",
                "uploaded_at": iso(e["uploaded_at"]),
                "valid_until": iso(e["valid_until"]),
                "status": status,
                "status_label": EVIDENCE_STATUS_LABEL[status],
                "valid": status != "expired",
                "expiring": status == "expiring",
            }
        )
    rows.sort(key=lambda r: (r["control"], r["scope"], r["description"]))
    return rows


def risk_rows(state: sel.State, risks: sel.RiskState, scope: set[int]) -> list[dict[str, Any]]:
    """One row per risk. Rows share what repeats (a score's dict, a threat's ids, equal
    strings) instead of holding copies: a register of 60,000 risks is built whole in
    one process, and nothing changes a row's parts once built."""
    rows = []
    shared: dict[Any, Any] = {}

    def same(value: Any) -> Any:
        return shared.setdefault(value, value)

    def score(impact: int, likelihood: int, total: int, band: str) -> dict[str, Any]:
        key = ("score", impact, likelihood, total, band)
        if key not in shared:
            shared[key] = {"impact": impact, "likelihood": likelihood, "score": total, "band": band}
        return shared[key]  # type: ignore[no-any-return]

    def ids(threat: Any, field: str) -> list[str]:
        key = ("ids", threat.pk if threat else None, field)
        if key not in shared:
            shared[key] = list(getattr(threat, field) or []) if threat else []
        return shared[key]  # type: ignore[no-any-return]

    for r in risks.risks:
        if r["asset"] not in scope:
            continue
        acceptance = risks.acceptances.get(r["id"])
        threat = risks.threats.get(r["threat"]) if r["threat"] else None
        rows.append(
            {
                "id": str(r["uuid"]),
                "ref": risk_figures.risk_ref(r["assessment"], r["position"]),
                "asset": state.assets[r["asset"]]["name"],
                "asset_id": same(str(state.assets[r["asset"]]["uuid"])),
                "title": same(r["title"]),
                "threat": threat.code if threat else "",
                "threat_name": threat.name if threat else "",
                "atlas": ids(threat, "atlas"),
                "owasp_llm": ids(threat, "owasp_llm"),
                "controls": same(r["existing_controls"]),
                "inherent": score(
                    r["inherent_impact"],
                    r["inherent_likelihood"],
                    r["inherent_score"],
                    r["inherent_band"],
                ),
                "residual": score(
                    r["residual_impact"],
                    r["residual_likelihood"],
                    r["residual_score"],
                    r["residual_band"],
                ),
                "treatment": same(r["treatment"]),
                "treatment_label": Risk.Treatment(r["treatment"]).label,
                # What the register prints: a formally accepted risk reads "Accepted".
                "decision": "Accepted"
                if acceptance is not None
                else Risk.Treatment(r["treatment"]).label,
                "owner": state.users.get(r["owner"], "") if r["owner"] else "",
                "due_date": same(iso(r["due_date"])),
                "status": same(r["status"]),
                "acceptance": None
                if acceptance is None
                else {
                    "approved_by": state.users.get(acceptance["approved_by"], ""),
                    "expires_on": iso(acceptance["expires_on"]),
                    "rationale": acceptance["rationale"],
                },
                "expired_acceptance": _acceptance(state, risks.expired_acceptances.get(r["id"])),
                "matrix": risks.assessments[r["asset"]]["matrix"],
            }
        )
    return rows


def _acceptance(state: sel.State, row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "approved_by": state.users.get(row["approved_by"], ""),
        "expires_on": iso(row["expires_on"]),
        "rationale": row["rationale"],
    }


def name_matrices(rows: list[dict[str, Any]], risks: sel.RiskState) -> None:
    """Replace each risk row's matrix id by the matrix code the reader knows."""
    for row in rows:
        row["matrix"] = (
            risks.matrices[row["matrix"]].code if row["matrix"] in risks.matrices else ""
        )


# --- what every report carries (DESIGN.md "Reports as evidence") ---------------------
# Scope statement, period and changes since the previous report, the exceptions
# register, the method and the no-data note: built here once for every kind and
# printed by one partial (templates/reports/pdf/_assurance.html).

EXCEPTION_TYPES = {
    # type -> (label, order)
    "gap": ("Obligation gap", 1),
    "partial": ("Obligation partly met", 2),
    "evidence_expired": ("Evidence expired", 3),
    "evidence_expiring": ("Evidence expiring", 4),
    "treatment_overdue": ("Treatment overdue", 5),
    "acceptance_expired": ("Risk acceptance expired", 6),
    "acceptance_expiring": ("Risk acceptance expiring", 7),
}


def _exception(
    kind: str,
    *,
    ref: str,
    asset: str,
    asset_id: str | None,
    subject: str,
    owner: str,
    due: Any,
    detail: str,
) -> dict[str, Any]:
    return {
        "type": kind,
        "type_label": EXCEPTION_TYPES[kind][0],
        "ref": ref,
        "asset": asset,
        "asset_id": asset_id,
        "subject": subject,
        "owner": owner or "",
        "due": iso(due),
        "detail": detail,
    }


def exceptions_section(
    state: sel.State,
    comp: sel.ComplianceState,
    rows: list[dict[str, Any]],
    evidence: list[dict[str, Any]],
    *,
    framework_ids: set[int] | None = None,
) -> list[dict[str, Any]]:
    """Every exception in scope, never truncated: each asset's open obligations (one row
    per asset, framework and status, naming every requirement), expired and expiring
    evidence, overdue treatments, expired and expiring acceptances. The figures are the
    owning apps' rules (compliance coverage and evidence status, risk overdue and
    acceptance expiry), applied to the report's state."""
    found: list[dict[str, Any]] = []
    for pk in state.in_scope:
        asset = state.assets[pk]
        owner = state.users.get(asset["owner"], "") if asset["owner"] else ""
        grouped: dict[tuple[int, str], list[tuple[str, dt.date | None]]] = {}
        for req, status, _, applies in comp.obligations.get(pk, []):
            requirement = comp.requirements[req]
            if status == "met" or (
                framework_ids is not None and requirement.framework_id not in framework_ids
            ):
                continue
            grouped.setdefault((requirement.framework_id, status), []).append(
                (requirement.ref, applies)
            )
        for (framework_id, status), refs in grouped.items():
            framework = comp.frameworks[framework_id]
            dates = [d for _, d in refs if d is not None]
            found.append(
                _exception(
                    status,
                    ref=framework.slug,
                    asset=asset["name"],
                    asset_id=str(asset["uuid"]),
                    subject=f"{framework.short_name}: " + ", ".join(r for r, _ in refs),
                    owner=owner,
                    # The first date one of them applies from (none: in force already).
                    due=min(dates) if len(dates) == len(refs) else None,
                    detail=(
                        f"{len(refs)} obligation{'s' if len(refs) != 1 else ''} "
                        + ("without a control in place" if status == "gap" else "partly met")
                    ),
                )
            )
    for e in evidence:
        if e["status"] == "valid":
            continue
        found.append(
            _exception(
                f"evidence_{e['status']}",
                ref=e["id"],
                asset=e["scope"],
                asset_id=e["asset_id"],
                subject=f"{e['control']}: {e['description']}",
                owner=e["owner"] or e["uploaded_by"],
                due=e["valid_until"],
                detail=f"{e['reference'] or 'no reference'}, uploaded {e['uploaded_at'][:10]}",
            )
        )
    for r in rows:

        def of_risk(kind: str, due: Any, detail: str, r: dict[str, Any] = r) -> dict[str, Any]:
            return _exception(
                kind,
                ref=r["ref"],
                asset=r["asset"],
                asset_id=r["asset_id"],
                subject=r["title"],
                owner=r["owner"],
                due=due,
                detail=detail,
            )

        if risk_figures.is_overdue(r, state.today):
            detail = f"{r['treatment_label']}, residual {r['residual']['band']}"
            found.append(of_risk("treatment_overdue", r["due_date"], detail))
        if r["status"] == Risk.Status.CLOSED:
            continue
        lapsed, active = r["expired_acceptance"], r["acceptance"]
        if lapsed is not None:
            detail = f"Accepted by {lapsed['approved_by']}: {lapsed['rationale']}"
            found.append(of_risk("acceptance_expired", lapsed["expires_on"], detail))
        elif active is not None and risk_figures.is_expiring_acceptance(active, state.today):
            detail = f"Accepted by {active['approved_by']}"
            found.append(of_risk("acceptance_expiring", active["expires_on"], detail))
    found.sort(
        key=lambda x: (EXCEPTION_TYPES[x["type"]][1], x["due"] or "", x["asset"], x["subject"])
    )
    return found


def scope_statement(state: sel.State, parameters: dict[str, Any]) -> dict[str, Any]:
    """What is in, what the scope left out and why, in words and figures."""
    scope = sel.Scope.from_parameters(parameters)
    kinds: dict[str, int] = {}
    for pk in state.in_scope:
        kinds[state.assets[pk]["kind"]] = kinds.get(state.assets[pk]["kind"], 0) + 1
    counts = {}
    for kind, n in sorted(kinds.items()):
        label = str(Asset.Kind(kind).label)
        label = label if label[:2].isupper() else label.lower()
        counts[f"{label}{'s' if n != 1 else ''}"] = n
    archived = sel.archived_in_scope(state, scope)
    words = header_scope_words(state, scope)
    total_active = sum(1 for pk in state.assets if state.active(pk))
    excluded = []
    if archived:
        excluded.append(
            {
                "reason": "archived",
                "count": len(archived),
                "why": "archived assets are retired from use; their history is kept but "
                "they carry no current obligations or risks",
                "names": [state.assets[pk]["name"] for pk in archived],
            }
        )
    outside = total_active - len(state.in_scope)
    if outside:
        excluded.append(
            {
                "reason": "outside_scope",
                "count": outside,
                "why": "active assets outside the requested scope"
                + (f" ({words})" if words else ""),
                "names": [],
            }
        )
    return {
        "included": len(state.in_scope),
        "included_by_kind": counts,
        "excluded": excluded,
        "not_yet_recorded": "assets registered after the as-of moment are not in the register "
        "of that moment"
        if state.requested is not None
        else "",
    }


def _name_of(rows: Any, uuid: str) -> str:
    return next((row["name"] for row in rows if str(row["uuid"]) == uuid), "") if uuid else ""


def header_scope_words(state: sel.State, scope: sel.Scope) -> str:
    """The scope exactly as requested, in words ("business unit People & HR; ...")."""
    parts = []
    if scope.business_unit:
        unit = _name_of(state.business_units.values(), scope.business_unit)
        parts.append(f"business unit {unit or scope.business_unit}")
    if scope.system:
        system = _name_of(state.assets.values(), scope.system)
        parts.append(f"AI system {system or scope.system} and its lineage")
    if scope.assets:
        parts.append(f"{len(scope.assets)} selected asset(s)")
    return "; ".join(parts)


def _scope_key(parameters: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in parameters.items() if k != "as_of"}


def read_embedded(
    name: str,
    keys: Collection[str] | None = None,
    each: dict[str, Callable[[Any], None]] | None = None,
) -> dict[str, Any]:
    """The data JSON embedded in a stored report PDF (the attachment the report was
    rendered from). With `keys`, only those top-level entries; with `each`, the items
    of those top-level lists are handed one at a time to their callbacks, and the entry
    holds their count. The file is read where it lies, and its data inflated
    a megabyte at a time: the previous register's 31,000 exceptions and 60,000 risks are
    never held to compare with it."""
    from django.core.files.storage import default_storage
    from pypdf import PdfReader

    from riskhub.reports.pdf import DATA_ATTACHMENT

    with default_storage.open(name, "rb") as handle:
        # pypdf reads the objects it is asked for, where they lie: 8 MiB for the 14,000
        # pages of a register, against qpdf's 68 MiB for its cross-reference table.
        reader = PdfReader(handle)
        (spec,) = [f for f in reader.attachment_list if f.name == DATA_ATTACHMENT]
        stream = spec.pdf_object["/EF"]["/F"].get_object()
        if keys is None and not each:
            # Inflated here: pypdf refuses to inflate more than 75 MB at once, and a
            # register of 60,000 risks embeds 76 MB of JSON.
            return json.loads(b"".join(_inflated(stream)))  # type: ignore[no-any-return]
        return _top_level_entries(_inflated(stream), set(keys or ()), each or {})


def _inflated(stream: Any) -> Iterator[bytes]:
    """A stored stream's decoded bytes, a megabyte at a time."""
    if stream.get("/Filter") != "/FlateDecode" or "/DecodeParms" in stream:
        yield stream.get_data()
        return
    raw = stream._data  # noqa: SLF001 - the stored (encoded) bytes, as pypdf keeps them
    inflate = zlib.decompressobj()
    for start in range(0, len(raw), 1 << 20):
        data = raw[start : start + (1 << 20)]
        while data:
            yield inflate.decompress(data, 1 << 20)
            data = inflate.unconsumed_tail
    yield inflate.flush()


def _top_level_entries(
    pieces: Iterable[bytes], keys: set[str], each: dict[str, Callable[[Any], None]]
) -> dict[str, Any]:
    """Entries of a JSON object written as rendering.write_data writes it (indent 1:
    each top-level key starts a line one space in, each item of a top-level list two
    spaces in), each parsed alone. JSON written another way is parsed whole."""
    remaining = iter(pieces)
    head = b""
    for piece in remaining:
        head += piece
        if len(head) >= 4:
            break
    if not head.startswith(b'{\n "'):
        whole = json.loads(b"".join([head, *remaining]))
        for key, callback in each.items():
            for item in whole.get(key) or []:
                callback(item)
        return {k: len(v) if k in each else v for k, v in whole.items() if k in keys or k in each}
    found: dict[str, Any] = {}
    current: str | None = None
    value = bytearray()  # the current entry, or the current list item
    callback: Callable[[Any], None] | None = None

    def take(line: bytes) -> None:
        nonlocal current, callback
        if line.startswith((b' "', b"}")):  # a top-level key (one space in), or the end
            if current is not None and callback is None:
                found[current] = json.loads(bytes(value).rstrip().rstrip(b","))
            current, callback = None, None
            value.clear()
            if line.startswith(b' "'):
                text = line.decode()
                key, end = _DECODER.raw_decode(text, 1)
                rest = text[end + 2 :]  # after '": '
                if key in each and rest in ("[", "[],", "[]"):
                    current, callback = key, each[key]
                    found[key] = 0
                elif key in keys or key in each:
                    current = key
                    value.extend(rest.encode())
        elif current is not None and callback is not None:
            indent = len(line) - len(line.lstrip(b" "))
            if indent == 2:  # an item's first or last line, or all of it
                value.extend(line)
                if len(value) == len(line) and line.rstrip(b",").endswith((b"{", b"[")):
                    return  # an item opens
                callback(json.loads(bytes(value).rstrip().rstrip(b",")))
                found[current] += 1
                value.clear()
            elif indent > 2:
                value.extend(line)
        elif current is not None:
            value.extend(b"\n" + line)

    pending = b""
    for piece in itertools.chain([head], remaining):
        lines = (pending + piece).split(b"\n")
        pending = lines.pop()
        for line in lines:
            take(line)
    take(pending)
    return found


_DECODER = json.JSONDecoder()


def _previous_report(
    kind: str, parameters: dict[str, Any], moment: dt.datetime, new_keys: set[Any]
) -> tuple[Any, dict[str, Any], set[Any], list[dict[str, Any]]] | None:
    """The latest earlier report of the same kind and scope whose data is readable and
    not later than `moment`: the report, its as-of stamps, scope and exception count,
    its exceptions' keys, and those of its exceptions whose keys are not in `new_keys`.
    One read of each file: the exceptions come one at a time, and only their keys and
    the resolved ones are kept."""
    wanted = _scope_key(parameters)
    for candidate in sel.earlier_reports(kind, timezone.now()):
        if _scope_key(candidate.parameters) != wanted:
            continue
        old_keys: set[Any] = set()
        resolved: list[dict[str, Any]] = []

        def compare(
            x: dict[str, Any], old_keys: set[Any] = old_keys, resolved: list[Any] = resolved
        ) -> None:
            key = _exception_key(x)
            old_keys.add(key)
            if key not in new_keys:
                resolved.append(x)

        try:
            before = read_embedded(
                candidate.file.name,
                keys=("as_of", "as_of_date", "scope"),
                each={"exceptions": compare},
            )
        except Exception:  # noqa: BLE001, S112 - a missing or unreadable file: no comparison
            continue
        if not _later_than(before.get("as_of"), moment):
            return candidate, before, old_keys, resolved
    return None


def _exception_key(x: dict[str, Any]) -> tuple[str, str, str]:
    return (x["type"], x.get("asset_id") or x["asset"], x["subject"])


def _later_than(stamp: Any, moment: dt.datetime) -> bool:
    """Whether an embedded as-of stamp (ISO, to the second) is after this report's moment.
    A report of the same second is earlier work, not a later one: two reports requested
    within one second still compare with each other."""
    try:
        then = dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return True
    if timezone.is_naive(then):
        then = timezone.make_aware(then)
    return then > moment.replace(microsecond=0)


def period_section(
    kind: str, parameters: dict[str, Any], state: sel.State, exceptions: list[dict[str, Any]]
) -> dict[str, Any]:
    """The period the report covers, and what changed since the previous report of the
    same kind and scope (its embedded data): from its as-of moment to this one."""
    first = sel.first_record_date()
    new_keys = {_exception_key(x) for x in exceptions}
    previous = _previous_report(kind, parameters, state.as_of, new_keys)
    period: dict[str, Any] = {
        "start": iso(first),
        "end": state.today.isoformat(),
        "first_record": iso(first),
        "no_data_before": iso(first) if first is None or state.today < first else None,
        "previous": None,
    }
    if first is None:
        period["no_data_before"] = state.today.isoformat()
    if previous is None:
        return period
    report, before, old_keys, resolved = previous
    period["start"] = str(before.get("as_of_date") or before.get("as_of", ""))[:10]
    change: dict[str, Any] = {
        "report": str(report.uuid),
        "title": report.title,
        "as_of": before.get("as_of"),
        "sha256": report.sha256,
        "assets_before": (before.get("scope") or {}).get("assets"),
        "assets_now": len(state.in_scope),
        "comparable": False,
        "new_exceptions": [],
        "resolved_exceptions": [],
    }
    if before.get("exceptions") is not None:
        change["comparable"] = True
        change["exceptions_before"] = before["exceptions"]
        change["exceptions_now"] = len(exceptions)
        change["new_exceptions"] = [x for x in exceptions if _exception_key(x) not in old_keys]
        change["resolved_exceptions"] = resolved
    period["previous"] = change
    return period


def assurance_sections(
    kind: str,
    parameters: dict[str, Any],
    state: sel.State,
    comp: sel.ComplianceState,
    rows: list[dict[str, Any]],
    evidence: list[dict[str, Any]],
    *,
    framework_ids: set[int] | None = None,
) -> dict[str, Any]:
    """The parts every kind carries, as keys of its data: scope statement, period and
    changes, exceptions register, evidence references and the windows they used."""
    exceptions = exceptions_section(state, comp, rows, evidence, framework_ids=framework_ids)
    return {
        "scope_statement": scope_statement(state, parameters),
        "period": period_section(kind, parameters, state, exceptions),
        "exceptions": exceptions,
        "exception_counts": {
            t: sum(1 for x in exceptions if x["type"] == t) for t in EXCEPTION_TYPES
        },
        "exception_labels": {t: label for t, (label, _) in EXCEPTION_TYPES.items()},
        "evidence": evidence,
        "evidence_windows": {
            "evidence_expiring_days": compliance_figures.evidence_expiry_window(),
            "acceptances_expiring_days": risk_figures.acceptance_expiry_window(),
        },
    }
