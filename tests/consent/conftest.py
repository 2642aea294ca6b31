import pytest

from portal.consent import services
from portal.consent.effects import unregister_withdrawal_effect
from portal.consent.models import Purpose


def make_purpose(code="sensor-project-participation", *, text="Je meetgegevens worden getoond.",
                 title="Meedoen aan een meetproject", active=True):
    purpose = Purpose.objects.create(
        code=code,
        title=title,
        description="Je hangt een sensor aan je huis.",
        owner_app="sensors",
        what_is_processed="Metingen en de grove locatie van je sensor.",
        retention="Zolang je meedoet.",
        active=active,
    )
    if text:
        services.consent_text_publish(purpose=purpose, body=text, material_change=True, by=None)
    return purpose


@pytest.fixture
def purpose(db):
    return make_purpose()


@pytest.fixture
def text(purpose):
    return purpose.texts.get()


@pytest.fixture
def effect():
    """Register a withdrawal effect for the test's purpose; records its calls."""
    registered = []

    def register(purpose_code, func, name=None):
        from portal.consent.effects import register_withdrawal_effect

        register_withdrawal_effect(purpose_code, func, name=name)
        registered.append((purpose_code, name or f"{func.__module__}.{func.__qualname__}"))
        return func

    yield register
    for purpose_code, name in registered:
        unregister_withdrawal_effect(purpose_code, name)
