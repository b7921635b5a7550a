"""The register's totals (RegisterTotal), kept by PostgreSQL itself.

The dashboard of the whole organisation counts every risk of the register by matrix,
band, cell, status, treatment and due date. At 100,000 assets that is a join of about
600,000 risks to their assessments and assets on every view (180 ms). Instead, triggers
on the three tables keep the count of each combination as rows change, in the same
transaction, whatever writes them (a service, a bulk update, a migration, COPY): each
statement's changed rows are read from its transition tables, what was in the register
before is taken off and what is in it after is added, one grouped upsert per statement.

"In the register" is ``selectors.register_q``: the risk's assessment is current and its
asset is not archived. The triggers spell that rule in SQL, once, in ``_shift``; the
tests compare the stored totals with ``register_q`` counted live after every kind of
change. SQLite keeps no totals (its installations are small): there, and for a filtered
slice or a past day, the dashboard counts the rows themselves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import QuerySet

# A risk without a due date is stored under this one (the key's columns are NOT NULL,
# so that one combination is one row); it is never before a day, so never overdue.
NO_DUE_DATE = dt.date(9999, 12, 31)

KEY = (
    "matrix_id",
    "residual_band",
    "inherent_impact",
    "inherent_likelihood",
    "residual_impact",
    "residual_likelihood",
    "status",
    "treatment",
    "due_date",
)
_KEY_SQL = ", ".join(KEY)


def _shift(sign: str, risks: str, assessments: str, assets: str, where: str = "") -> str:
    """Add (sign '+') or take off ('-') the register's risks among these rows to the
    totals. Each source is a table: the live one or a statement's transition table.
    Every part is a constant of this module (no input reaches this SQL)."""
    return f"""
    INSERT INTO risk_registertotal AS t ({_KEY_SQL}, n)
    SELECT c.matrix_id, r.residual_band, r.inherent_impact, r.inherent_likelihood,
           r.residual_impact, r.residual_likelihood, r.status, r.treatment,
           COALESCE(r.due_date, DATE '{NO_DUE_DATE.isoformat()}'), {sign}count(*)
    FROM {risks} r
    JOIN {assessments} c ON c.id = r.assessment_id
    JOIN {assets} a ON a.id = c.asset_id
    WHERE c.is_current AND a.archived_at IS NULL {where}
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
    ON CONFLICT ({_KEY_SQL}) DO UPDATE SET n = t.n + EXCLUDED.n;
    """  # noqa: S608


# Only the rows whose key or membership changed are moved (an asset's coverage summary
# or a risk's updated_at changes nothing here).
_RISK_MOVED = """AND r.id IN (
    SELECT o.id FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.assessment_id, o.residual_band, o.inherent_impact, o.inherent_likelihood,
           o.residual_impact, o.residual_likelihood, o.status, o.treatment, o.due_date)
      IS DISTINCT FROM
          (n.assessment_id, n.residual_band, n.inherent_impact, n.inherent_likelihood,
           n.residual_impact, n.residual_likelihood, n.status, n.treatment, n.due_date))"""
_ASSESSMENT_MOVED = """AND c.id IN (
    SELECT o.id FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.is_current, o.matrix_id, o.asset_id)
      IS DISTINCT FROM (n.is_current, n.matrix_id, n.asset_id))"""
_ASSET_MOVED = """AND a.id IN (
    SELECT o.id FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE (o.archived_at IS NULL) <> (n.archived_at IS NULL))"""

_TRIGGERS = {
    # name: (table, event, transition tables, body)
    "risk_insert": (
        "risk_risk",
        "INSERT",
        "NEW TABLE AS new_rows",
        _shift("+", "new_rows", "risk_assessment", "inventory_asset"),
    ),
    "risk_delete": (
        "risk_risk",
        "DELETE",
        "OLD TABLE AS old_rows",
        _shift("-", "old_rows", "risk_assessment", "inventory_asset"),
    ),
    "risk_update": (
        "risk_risk",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        _shift("-", "old_rows", "risk_assessment", "inventory_asset", _RISK_MOVED)
        + _shift("+", "new_rows", "risk_assessment", "inventory_asset", _RISK_MOVED),
    ),
    "assessment_update": (
        "risk_assessment",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        _shift("-", "risk_risk", "old_rows", "inventory_asset", _ASSESSMENT_MOVED)
        + _shift("+", "risk_risk", "new_rows", "inventory_asset", _ASSESSMENT_MOVED),
    ),
    "assessment_delete": (
        "risk_assessment",
        "DELETE",
        "OLD TABLE AS old_rows",
        _shift("-", "risk_risk", "old_rows", "inventory_asset"),
    ),
    "asset_update": (
        "inventory_asset",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        _shift("-", "risk_risk", "risk_assessment", "old_rows", _ASSET_MOVED)
        + _shift("+", "risk_risk", "risk_assessment", "new_rows", _ASSET_MOVED),
    ),
}


def install_sql() -> str:
    """The trigger functions and triggers, and the totals counted from what is stored."""
    parts = ["DELETE FROM risk_registertotal;"]
    for name, (table, event, transitions, body) in _TRIGGERS.items():
        function = f"riskhub_register_totals_{name}"
        parts.append(
            f"""
            CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
            BEGIN
                {body}
                RETURN NULL;
            END;
            $$ LANGUAGE plpgsql;
            CREATE TRIGGER {function} AFTER {event} ON {table}
                REFERENCING {transitions}
                FOR EACH STATEMENT EXECUTE FUNCTION {function}();
            """
        )
    parts.append(_shift("+", "risk_risk", "risk_assessment", "inventory_asset"))
    return "\n".join(parts)


def drop_sql() -> str:
    parts = []
    for name, (table, _event, _transitions, _body) in _TRIGGERS.items():
        function = f"riskhub_register_totals_{name}"
        parts.append(f"DROP TRIGGER IF EXISTS {function} ON {table};")
        parts.append(f"DROP FUNCTION IF EXISTS {function}();")
    return "\n".join(parts)


def kept() -> bool:
    """Whether this database keeps the totals (PostgreSQL)."""
    return connection.vendor == "postgresql"


def rows() -> QuerySet[Any]:
    from riskhub.risk.models import RegisterTotal

    return RegisterTotal.objects.order_by()
