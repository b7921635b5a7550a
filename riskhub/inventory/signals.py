"""Signals the inventory sends so higher apps can react without being imported here
(risk recomputes effective risk; compliance recomputes applicability and coverage).
Receivers run inside the sender's transaction; heavy work should be deferred with
transaction.on_commit."""

from django.dispatch import Signal

# sent with asset_ids: list[int] (assets whose upstream changed, or were archived), and
# optionally detached: list[int] (the upstream ends of removed links: they stopped
# feeding what was below them, so what they inherited from there changes)
lineage_changed = Signal()
# sent with asset: Asset after a new classification version is stored
classification_changed = Signal()
# sent with asset: Asset after an asset is archived or restored
asset_archived = Signal()
# sent with nothing after the organisation profile changed
organisation_changed = Signal()
