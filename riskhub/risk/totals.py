"""The register's totals (RegisterTotal), kept by PostgreSQL itself.

The dashboard of the whole organisation counts every risk of the register by matrix,
band, cell, status, treatment and due date. At 100,000 assets that is a join of about
600,000 risks to their assessments and assets on every view (180 ms). Instead, triggers
on the three tables record how each statement moves those counts, in the same
transaction, whatever writes (a service, a bulk update, a migration, COPY): the
statement's changed rows are read from its transition tables, what was in the register
before is taken off and what is in it after is added.

The table is a log: each statement appends its grouped changes and never updates a
row, so writers take no lock on it (two officers moving risks between the same two
combinations in opposite directions would otherwise wait for each other, or deadlock).
A combination's total is the sum of its rows; ``compact`` folds the rows into one per
combination every few minutes (risk/schedule.py).

"In the register" is ``selectors.register_q``: the risk's assessment is current and its
asset is not archived. The triggers spell that rule in SQL, once, in ``_shift``; the
tests compare the stored totals with ``register_q`` counted live after every kind of
change. SQLite keeps no totals (its installations are small): there, and for a filtered
slice or a past day, the dashboard counts the rows themselves.
"""

# ruff: noqa: S608 - the SQL here is built from this module's constants only.
from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import QuerySet

# A risk without a due date is stored under this one (the key's columns are NOT NULL,
# so that a combination compacts into one row); it is never before a day, so never
# overdue.
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


def _shift(sign: str, risks: str, assessments: str, where: str, *, active: bool = True) -> str:
    """Add (sign '+') or take off ('-') the register's risks among these rows to the
    totals. The sources are the live tables or a statement's transition tables; `where`
    names the rows by id arrays (``= ANY``), so PostgreSQL reads them through the
    indexes whatever it knows of the tables' sizes (a fresh load has no statistics, and
    a join it guessed small walked every risk per asset: minutes at 10,000 assets).
    `active`: the asset must be active now (False when the asset's own change is what
    moves its risks). Every part is a constant of this module: no input reaches SQL."""
    asset = "JOIN inventory_asset a ON a.id = c.asset_id" if active else ""
    archived = "AND a.archived_at IS NULL" if active else ""
    return f"""
    INSERT INTO risk_registertotal ({_KEY_SQL}, n)
    SELECT c.matrix_id, r.residual_band, r.inherent_impact, r.inherent_likelihood,
           r.residual_impact, r.residual_likelihood, r.status, r.treatment,
           COALESCE(r.due_date, DATE '{NO_DUE_DATE.isoformat()}'), {sign}count(*)
    FROM {risks} r
    JOIN {assessments} c ON c.id = r.assessment_id
    {asset}
    WHERE c.is_current {archived} AND {where}
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9;
    """


# The ids of the rows a statement moved, found by comparing its old and new rows on
# what the totals depend on (EXCEPT hashes both sides; an asset's coverage summary or
# a risk's updated_at moves nothing, and the trigger returns at once).
_RISK_KEY = (
    "id, assessment_id, residual_band, inherent_impact, inherent_likelihood, "
    "residual_impact, residual_likelihood, status, treatment, due_date"
)


def _moved(columns: str, before: str, after: str) -> str:
    return f"ARRAY(SELECT id FROM (SELECT {columns} FROM {before} EXCEPT SELECT {columns} FROM {after}) x)"  # noqa: E501


def _update(columns: str, old: str, new: str, take_off: str, add: str) -> str:
    """The body of an UPDATE trigger: the ids whose `columns` changed are taken off as
    they were (`take_off`, which names them `gone`) and added as they are (`add`,
    `came`); nothing moved, nothing is read."""
    return f"""
        gone := {_moved(columns, old, new)};
        came := {_moved(columns, new, old)};
        IF cardinality(gone) > 0 THEN {take_off} END IF;
        IF cardinality(came) > 0 THEN {add} END IF;
        """


_TRIGGERS = {
    # name: (table, event, transition tables, body)
    "risk_insert": (
        "risk_risk",
        "INSERT",
        "NEW TABLE AS new_rows",
        _shift("+", "new_rows", "risk_assessment", "true"),
    ),
    "risk_delete": (
        "risk_risk",
        "DELETE",
        "OLD TABLE AS old_rows",
        _shift("-", "old_rows", "risk_assessment", "true"),
    ),
    "risk_update": (
        "risk_risk",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        _update(
            _RISK_KEY,
            "old_rows",
            "new_rows",
            _shift("-", "old_rows", "risk_assessment", "r.id = ANY(gone)"),
            _shift("+", "new_rows", "risk_assessment", "r.id = ANY(came)"),
        ),
    ),
    "assessment_update": (
        "risk_assessment",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        _update(
            "id, is_current, matrix_id, asset_id",
            "old_rows",
            "new_rows",
            _shift("-", "risk_risk", "old_rows", "r.assessment_id = ANY(gone)"),
            _shift("+", "risk_risk", "new_rows", "r.assessment_id = ANY(came)"),
        ),
    ),
    "assessment_delete": (
        "risk_assessment",
        "DELETE",
        "OLD TABLE AS old_rows",
        # Django deletes an assessment's risks first (their own trigger took them off);
        # this only matters for a delete that bypassed it.
        f"""
        gone := ARRAY(SELECT id FROM old_rows);
        {_shift("-", "risk_risk", "old_rows", "r.assessment_id = ANY(gone)")}
        """,
    ),
    "asset_update": (
        "inventory_asset",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        # Archived, its register risks leave; restored, they come back.
        _update(
            "id",
            "(SELECT id FROM old_rows WHERE archived_at IS NULL) o",
            "(SELECT id FROM new_rows WHERE archived_at IS NULL) n",
            _shift("-", "risk_risk", "risk_assessment", "c.asset_id = ANY(gone)", active=False),
            _shift("+", "risk_risk", "risk_assessment", "c.asset_id = ANY(came)", active=False),
        ),
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
            DECLARE
                gone bigint[];
                came bigint[];
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
    parts.append(_shift("+", "risk_risk", "risk_assessment", "true"))
    return "\n".join(parts)


def drop_sql() -> str:
    parts = []
    for name, (table, _event, _transitions, _body) in _TRIGGERS.items():
        function = f"riskhub_register_totals_{name}"
        parts.append(f"DROP TRIGGER IF EXISTS {function} ON {table};")
        parts.append(f"DROP FUNCTION IF EXISTS {function}();")
    return "\n".join(parts)


# One statement: the rows it deletes are exactly those it sums back, so a change
# committed meanwhile (not in its snapshot) is neither lost nor counted twice.
_COMPACT = f"""
WITH gone AS (DELETE FROM risk_registertotal RETURNING {_KEY_SQL}, n)
INSERT INTO risk_registertotal ({_KEY_SQL}, n)
SELECT {_KEY_SQL}, sum(n) FROM gone GROUP BY {_KEY_SQL} HAVING sum(n) <> 0
"""


def compact() -> int:
    """Fold the totals' rows into one per combination (none for a combination back to
    zero); the rows left. A no-op where the totals are not kept."""
    if not kept():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(_COMPACT)
        return cursor.rowcount


def kept() -> bool:
    """Whether this database keeps the totals (PostgreSQL)."""
    return connection.vendor == "postgresql"


def rows() -> QuerySet[Any]:
    from riskhub.risk.models import RegisterTotal

    return RegisterTotal.objects.order_by()
