"""The pseudonym a consent event names its subject by.

`HMAC-SHA256(BSN_PSEUDONYM_SECRET, "consent-subject:" + key)` where key is
`"resident:" + user.bsn_pseudonym` for a DigiD resident and `"user:<pk>"` for an e-mail account.

- Stable: the same person always gets the same value, also after their account was deleted
  (a resident who comes back through DigiD has the same `bsn_pseudonym`), so the ledger can
  prove consent without holding the account.
- Separate from the account key: receipts and the API show this value, never `bsn_pseudonym`
  (which `/api/v1/me/` also never shows), so a receipt cannot be used to look up the account.
- No BSN goes in: the resident's key is already the HMAC of the BSN.
"""

import hashlib
import hmac

from django.conf import settings


def consent_subject_pseudonym(user) -> str:
    if getattr(user, "bsn_pseudonym", None):
        key = f"resident:{user.bsn_pseudonym}"
    else:
        key = f"user:{user.pk}"
    secret = settings.BSN_PSEUDONYM_SECRET.encode()
    return hmac.new(secret, f"consent-subject:{key}".encode(), hashlib.sha256).hexdigest()
