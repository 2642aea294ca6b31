"""Authentication backends for DigiD.

In mock mode `DigiDMockBackend` turns a BSN asserted by our mock IdP into a resident account
(through `User.digid_objects`, which keeps only the HMAC pseudonym). In SAML mode the library's
`digid_eherkenning.backends.DigiDBackend` does the same for a real DigiD assertion.
Both log `str(user)`, which never contains the BSN.
"""

from digid_eherkenning.mock.backends import DigiDBackend
from digid_eherkenning.validators import BSNValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_validate_bsn = BSNValidator()


class DigiDMockBackend(DigiDBackend):
    error_messages = dict(
        DigiDBackend.error_messages,
        digid_invalid_bsn=_("Login failed: the mock DigiD asserted a BSN that fails the 11-proef."),
    )

    def authenticate(self, request, bsn=None):
        if bsn is None:
            return None
        if bsn:
            try:
                _validate_bsn(bsn)
            except ValidationError:
                # Never log the value itself.
                self.log_error(request, self.error_messages["digid_invalid_bsn"])
                return None
        user = super().authenticate(request, bsn=bsn)
        if user is not None and not self.user_can_authenticate(user):
            return None
        return user
