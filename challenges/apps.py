from django.apps import AppConfig


class ChallengesConfig(AppConfig):
    name = "challenges"

    def ready(self):
        from challenges import home, privacy

        # consent and core never import challenges: challenges registers with them.
        privacy.register()
        home.register()
