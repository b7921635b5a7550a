"""Installed in place of ``django.contrib.admin`` (kept apart from ``apps.py`` so that
module still declares one default AppConfig)."""

from django.contrib.admin.apps import AdminConfig


class RiskHubAdminConfig(AdminConfig):
    """Django's admin with RiskHub's read-only, second-factor-guarded site."""

    default = False
    default_site = "riskhub.accounts.admin_site.RiskHubAdminSite"
