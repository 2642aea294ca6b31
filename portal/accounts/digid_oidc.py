"""DigiD through an OpenID Connect broker (DIGID_MODE=oidc), on top of mozilla-django-oidc.

The broker (Signicat-style, or a DigiD-OIDC bridge) does the DigiD login and tells us, in the
userinfo response or the ID token, the resident's BSN and the level of assurance. This backend
turns the BSN into the account pseudonym at once (`User.digid_objects`), never matches users by
e-mail, and refuses a login below `DIGID_SAML_LOA`. The tokens are never stored.

Nothing here logs a claim value: the BSN travels in the claims, the tokens and (for a broken
broker) in odd places, so log lines name only what went wrong, never with what.
"""

import logging
import re
from dataclasses import dataclass

from digid_eherkenning.choices import DigiDAssuranceLevels
from digid_eherkenning.validators import BSNValidator
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from portal.accounts.assurance import AssuranceLevel, meets

logger = logging.getLogger(__name__)

_validate_bsn = BSNValidator()
# The BSN sector code, as some brokers qualify the BSN ("s00000000:<bsn>"). Another sector's
# identifier is not a BSN and is refused.
_SECTOR_PREFIX = re.compile(r"^s00000000:")

# What a broker may report as the level (the LoA claim), mapped to our level names: DigiD's SAML
# AuthnContextClassRef URNs and our plain names. DIGID_OIDC_LOA_MAPPING adds to (or overrides) it.
DEFAULT_LOA_MAPPING = {
    DigiDAssuranceLevels.base.value: AssuranceLevel.BASIS.value,
    DigiDAssuranceLevels.middle.value: AssuranceLevel.MIDDEN.value,
    DigiDAssuranceLevels.substantial.value: AssuranceLevel.SUBSTANTIEEL.value,
    DigiDAssuranceLevels.high.value: AssuranceLevel.HOOG.value,
    **{level.value: level.value for level in AssuranceLevel},
}

# Set on the request when a login is refused, for the callback view to show.
REFUSAL_ATTRIBUTE = "digid_oidc_refusal"


@dataclass(frozen=True)
class Refusal:
    message: str | Promise
    status: int = 400


NOT_CONFIRMED = Refusal(_("DigiD did not confirm who you are. Please log in again."))
TECHNICAL_PROBLEM = Refusal(
    _("Logging in with DigiD did not work because of a technical problem. Please try again later."),
    status=502,
)


def loa_mapping() -> dict[str, str]:
    return {**DEFAULT_LOA_MAPPING, **settings.DIGID_OIDC_LOA_MAPPING}


def claim_get(claims: dict, path: str):
    """The claim `path` ("bsn", or a dotted path like "person.bsn" into nested objects)."""
    if path in claims:
        return claims[path]
    value = claims
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def bsn_from_claim(value) -> str | None:
    """The BSN in a claim value, without a sector prefix; None unless 9 digits passing 11-proef."""
    if not isinstance(value, str):
        return None
    value = _SECTOR_PREFIX.sub("", value.strip(), count=1)
    try:
        _validate_bsn(value)
    except ValidationError:
        return None
    return value


def level_from_claim(value) -> str | None:
    """Our level name for the broker's LoA claim value, or None when it is not one we know."""
    if not isinstance(value, str):
        return None
    return loa_mapping().get(value.strip())


def _mask(value) -> str:
    """A claim value fit for a log line: short, and no run of digits that could be a BSN."""
    return re.sub(r"\d{5,}", "#####", repr(value)[:80])


class DigiDOIDCBackend(OIDCAuthenticationBackend):
    """Resident login from an OIDC broker's DigiD claims; the BSN becomes the pseudonym at once."""

    def authenticate(self, request, **kwargs):
        # Only the OIDC callback (it passes nonce and code_verifier), never a password login.
        if request is None or "nonce" not in kwargs:
            return None
        try:
            return super().authenticate(request, **kwargs)
        except Exception as exc:  # noqa: BLE001 - token/userinfo/JWT errors of every kind
            # The exception's text or a traceback's locals may hold a token or the claims: log
            # the kind of error only, and for HTTP errors the status.
            response = getattr(exc, "response", None)
            logger.warning(
                "DigiD OIDC: login failed: %s%s",
                type(exc).__name__,
                f" (HTTP {response.status_code})" if response is not None else "",
            )
            self._refuse(TECHNICAL_PROBLEM)
            return None

    def store_tokens(self, access_token, id_token):
        """Never: both tokens carry the BSN (OIDC_STORE_*_TOKEN are False as well)."""

    def describe_user_by_claims(self, claims):
        return "a DigiD resident"

    def filter_users_by_claims(self, claims):
        """Never by e-mail: a resident is found only through the BSN pseudonym."""
        return self.UserModel.objects.none()

    def get_or_create_user(self, access_token, id_token, payload):
        """The resident for the BSN in the claims, if the level is high enough; else None.

        `payload` is the verified ID token; the claims are looked up in the userinfo response
        first, then in the ID token (brokers put the BSN and the level in either).
        """
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if not isinstance(userinfo, dict):
            logger.warning("DigiD OIDC: login refused: the userinfo response is not an object")
            return self._refuse(NOT_CONFIRMED)
        if "sub" in userinfo and userinfo["sub"] != payload.get("sub"):
            logger.warning("DigiD OIDC: login refused: userinfo and ID token differ in 'sub'")
            return self._refuse(NOT_CONFIRMED)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if self.OIDC_RP_CLIENT_ID not in audiences:
            logger.warning("DigiD OIDC: login refused: the ID token is not meant for this client")
            return self._refuse(NOT_CONFIRMED)
        sources = [userinfo, payload]

        bsn_claim = settings.DIGID_OIDC_BSN_CLAIM
        raw_bsn = next(
            (v for v in (claim_get(s, bsn_claim) for s in sources) if v is not None), None
        )
        bsn = bsn_from_claim(raw_bsn)
        if bsn is None:
            logger.warning(
                "DigiD OIDC: login refused: claim %r is %s",
                bsn_claim,
                "missing" if raw_bsn is None else "not a valid BSN",
            )
            return self._refuse(NOT_CONFIRMED)

        loa_claim = settings.DIGID_OIDC_LOA_CLAIM
        raw_level = next(
            (v for v in (claim_get(s, loa_claim) for s in sources) if v is not None), None
        )
        level = level_from_claim(raw_level)
        if level is None:
            logger.warning(
                "DigiD OIDC: login refused: claim %r is %s",
                loa_claim,
                "missing" if raw_level is None else f"unknown ({_mask(raw_level)})",
            )
            return self._refuse(NOT_CONFIRMED)
        minimum = settings.DIGID_SAML_LOA
        if not meets(level, minimum):
            logger.info("DigiD OIDC: login refused: level %s is below %s", level, minimum)
            return self._refuse(
                Refusal(
                    format_lazy(
                        _(
                            "You logged in with DigiD at level {level}, but this site needs "
                            "level {minimum} or higher. Please log in again with a higher level."
                        ),
                        level=AssuranceLevel(level).label,
                        minimum=AssuranceLevel(minimum).label,
                    ),
                    status=403,
                )
            )

        user = self._resident(bsn)
        if not self.user_can_authenticate(user):
            logger.info("DigiD OIDC: login refused: the account is inactive")
            return self._refuse(NOT_CONFIRMED)
        # Read by the callback view, which records the level in the session after auth.login.
        user.digid_assurance_level = level
        logger.info("DigiD OIDC: user %s logged in at level %s", user.pk, level)
        return user

    def _resident(self, bsn: str):
        manager = self.UserModel.digid_objects
        try:
            return manager.get_by_bsn(bsn)
        except self.UserModel.DoesNotExist:
            pass
        try:
            with transaction.atomic():
                return manager.digid_create(bsn)
        except IntegrityError:  # a concurrent first login of the same resident won
            return manager.get_by_bsn(bsn)

    def _refuse(self, refusal: Refusal) -> None:
        setattr(self.request, REFUSAL_ATTRIBUTE, refusal)
        return None
