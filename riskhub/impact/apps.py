from __future__ import annotations

from django.apps import AppConfig


class ImpactConfig(AppConfig):
    name = "riskhub.impact"
    label = "impact"
    verbose_name = "Impact assessments"

    def ready(self) -> None:
        from riskhub.compliance import selectors
        from riskhub.impact.selectors import gap_bundle

        # The gap list recommends the integrated assessment first where two or more of
        # the laws it serves apply (riskhub.compliance.coverage.Bundle).
        selectors.register_bundles(gap_bundle)
