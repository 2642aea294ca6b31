"""Shared by the participation tests (tests/ideas/test_participation.py and friends)."""

import io
import time

from django.core.files.uploadedfile import SimpleUploadedFile

from portal.accounts import roles
from portal.accounts.assurance import SESSION_KEY
from portal.accounts.middleware import (
    AUTH_SOURCE_DIGID,
    AUTH_SOURCE_SESSION_KEY,
    LAST_ACTIVITY_SESSION_KEY,
)
from tests.factories import user_for_role

# The roles the brief asks for, from least to most privileged.
ROLES = (
    roles.VISITOR, roles.RESIDENT, roles.VERIFIED_RESIDENT, roles.ORGANISATION_MEMBER,
    roles.MODERATOR, roles.CIVIL_SERVANT,
)


def login(client, user):
    """Log `user` in; residents get a DigiD session at their `assurance_level`."""
    if not user.is_authenticated:
        return user
    client.force_login(user)
    level = getattr(user, "assurance_level", None)
    if level:
        session = client.session
        session[SESSION_KEY] = level
        session[AUTH_SOURCE_SESSION_KEY] = AUTH_SOURCE_DIGID
        session[LAST_ACTIVITY_SESSION_KEY] = int(time.time())
        session.save()
    return user


def login_role(client, role, **kwargs):
    return login(client, user_for_role(role, **kwargs))


def png_bytes(size=(40, 30), colour=(200, 30, 30), exif=None, image_format="PNG") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    image = Image.new("RGB", size, colour)
    if exif is not None:
        image.save(out, format=image_format, exif=exif)
    else:
        image.save(out, format=image_format)
    return out.getvalue()


def upload(name="plein.png", data=None, content_type="image/png"):
    return SimpleUploadedFile(name, data if data is not None else png_bytes(),
                              content_type=content_type)


def author_name_purpose():
    """The consent purpose `idea-author-name` with a published text."""
    from portal.consent import services
    from portal.consent.models import Purpose

    purpose, created = Purpose.objects.get_or_create(
        code="idea-author-name",
        defaults={"title": "Je naam bij je ideeën", "description": "d", "owner_app": "ideas",
                  "what_is_processed": "Je naam", "retention": "Zolang het idee bestaat."},
    )
    if created:
        services.consent_text_publish(purpose=purpose, body="Je naam wordt getoond.",
                                      material_change=True, by=None)
    return purpose


def grant_author_name(user):
    from portal.consent import selectors, services

    purpose = author_name_purpose()
    return services.consent_grant(user=user, text=selectors.current_text(purpose=purpose),
                                  method="web", assurance_level="midden")


IDEA_DATA = {
    "title": "Meer bankjes in het park",
    "body": "Oudere bewoners kunnen onderweg niet uitrusten. Zet bankjes langs het pad.",
    "theme": "living",
    "neighbourhood": "",
    "latitude": "",
    "longitude": "",
}
