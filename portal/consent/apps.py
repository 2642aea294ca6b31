from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsentConfig(AppConfig):
    name = "portal.consent"
    label = "consent"
    verbose_name = _("Consent")

    def ready(self):
        from portal.consent import services
        from portal.consent.sections import register_builtin_sections
        from portal.core.access import on_personal_data_viewed

        register_builtin_sections()
        on_personal_data_viewed("consent.access_log", services.personal_data_access_log)
