"""Consent receipts: Kantara Consent Receipt v1.1 fields, where they fit, for one event."""

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from portal.consent.models import ConsentEvent

RECEIPT_VERSION = "KI-CR-v1.1.0"
COLLECTION_METHODS = {
    ConsentEvent.Method.WEB: "web form (Stadsmakers, Mijn gegevens)",
    ConsentEvent.Method.API: "API (/api/v1/me/consents/)",
}


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def consent_receipt(*, event: ConsentEvent) -> dict:
    """The receipt of one grant or withdrawal. Names the person by pseudonym, never by BSN."""
    purpose, text = event.purpose, event.text
    return {
        "version": RECEIPT_VERSION,
        "jurisdiction": "NL",
        "consentTimestamp": int(event.created_at.timestamp()),
        "collectionMethod": COLLECTION_METHODS.get(event.method, event.method),
        "consentReceiptID": str(event.public_id),
        "language": translation.get_language() or settings.LANGUAGE_CODE,
        "piiPrincipalId": event.subject_pseudonym,
        "piiControllers": [
            {
                "piiController": settings.CONSENT_CONTROLLER_NAME,
                "contact": settings.CONSENT_CONTROLLER_CONTACT,
                "email": settings.CONSENT_CONTROLLER_EMAIL,
                "url": settings.CONSENT_CONTROLLER_URL,
            }
        ],
        "policyUrl": _absolute(reverse("privacy")),
        "services": [
            {
                "service": purpose.title,
                "purposes": [
                    {
                        "purpose": purpose.description,
                        "purposeCategory": [purpose.code],
                        "consentType": "EXPLICIT",
                        "piiCategory": [purpose.what_is_processed],
                        "primaryPurpose": False,
                        "termination": purpose.retention,
                        "thirdPartyDisclosure": False,
                    }
                ],
            }
        ],
        "sensitive": False,
        "spiCat": [],
        # Our own fields: what exactly was agreed to, and what happened.
        "action": event.action,
        "purposeCode": purpose.code,
        "legalBasis": purpose.legal_basis,
        "consentText": {
            "version": text.version,
            "sha256": text.sha256,
            "publishedAt": text.published_at.isoformat() if text.published_at else None,
            "body": text.body,
        },
        "assuranceLevel": event.assurance_level,
    }
