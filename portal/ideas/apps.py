from django.apps import AppConfig


class IdeasConfig(AppConfig):
    name = "portal.ideas"
    label = "ideas"

    def ready(self):
        from portal.ideas import home, privacy

        # consent and core never import ideas: ideas registers with them.
        privacy.register()
        home.register()
