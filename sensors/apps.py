from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SensorsConfig(AppConfig):
    name = "sensors"
    verbose_name = _("Sensor networks")

    def ready(self):
        from portal.core.home import register_home_items
        from sensors import privacy, selectors

        # consent and core never import sensors: sensors registers with them.
        privacy.register()
        register_home_items("sensors", selectors.home_projects)
