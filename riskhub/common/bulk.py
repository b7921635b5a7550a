"""Writing many rows at once, for the recomputes that rewrite tens of thousands of them.

On PostgreSQL, new rows go through ``COPY ... FROM STDIN`` and a column of many rows is
set by one ``UPDATE ... FROM unnest(...)``; on other databases, Django's ``bulk_create``
and ``bulk_update``. At 10,000 assets Django's own bulk methods spent most of a full
coverage recompute building a model instance per row and a CASE expression per value
(bench/RESULTS.md, "Recompute"). Like them, these call no ``save()``, send no signals and
write no history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connection, models

BATCH = 2000


def _column(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """A concrete field by its name or its attribute name (``asset`` or ``asset_id``)."""
    for field in model._meta.concrete_fields:
        if name in (field.name, field.attname):
            return field
    raise LookupError(f"{model.__name__} has no column {name!r}")


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """Insert `rows`, each the values of `fields` in that order. Values are what the
    column stores (ints, strings, dates, None), not model instances."""
    resolved = [_column(model, name) for name in fields]
    if connection.vendor != "postgresql":
        names = [field.attname for field in resolved]
        model._default_manager.bulk_create(
            (model(**dict(zip(names, row, strict=True))) for row in rows), batch_size=BATCH
        )
        return
    # COPY knows nothing of Django's defaults: each column left out gets the field's
    # default, a row at a time, as a model instance would ("" for a text field without
    # one); a column with a database default keeps the database's.
    defaults = [
        field
        for field in model._meta.concrete_fields
        if field not in resolved
        and field is not model._meta.pk
        and field.db_default is models.NOT_PROVIDED
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in (*resolved, *defaults))
    statement = f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN"  # noqa: S608
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row((*row, *(field.get_default() for field in defaults)))


def update_column(model: type[models.Model], name: str, values: Mapping[Any, Any]) -> None:
    """Set the column `name` of the rows whose primary keys are `values`' keys."""
    if not values:
        return
    field = _column(model, name)
    if connection.vendor != "postgresql":
        rows = []
        for pk, value in values.items():
            row = model(pk=pk)
            setattr(row, field.attname, value)
            rows.append(row)
        model._default_manager.bulk_update(rows, [field.name], batch_size=BATCH)
        return
    quote = connection.ops.quote_name
    pk = model._meta.pk
    assert pk is not None
    statement = (
        f"UPDATE {quote(model._meta.db_table)} AS t SET {quote(field.column)} = v.value "  # noqa: S608
        f"FROM unnest(%s::{pk.rel_db_type(connection)}[], %s::{field.db_type(connection)}[]) "
        f"AS v(pk, value) WHERE t.{quote(pk.column)} = v.pk"
    )
    keys = list(values)
    with connection.cursor() as cursor:
        for start in range(0, len(keys), BATCH):
            batch = keys[start : start + BATCH]
            cursor.execute(
                statement,
                [batch, [field.get_db_prep_save(values[k], connection) for k in batch]],
            )
