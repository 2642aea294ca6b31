"""Turn a BSN into the pseudonym a resident account is keyed on. The BSN itself is never kept."""

import hashlib
import hmac

from django.conf import settings


def bsn_pseudonym(bsn: str) -> str:
    secret = settings.BSN_PSEUDONYM_SECRET.encode()
    return hmac.new(secret, bsn.strip().encode(), hashlib.sha256).hexdigest()
