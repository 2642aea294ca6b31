from django.apps import AppConfig


class IdeasConfig(AppConfig):
    name = "portal.ideas"
    label = "ideas"
