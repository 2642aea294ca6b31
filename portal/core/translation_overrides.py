"""Messages from Django and allauth that our own catalogue translates. Never imported.

`makemessages` only keeps msgids it finds in our source, so the msgids of other packages that
we translate ourselves are listed here. Our LOCALE_PATHS come first, so our wording wins:
- Django's Dutch password help texts use the formal "u"; the site says "je".
- Django 5.2 changed the msgid of the "password too short" error to "%d", and its Dutch
  catalogue still has the old msgid, so without this that error shows in English.
- allauth's Dutch says "Aanmelden"/"afgemeld" where the site says "Inloggen"/"uitgelogd".
- Django REST framework's Dutch lacks some API error messages, and says "verstikt" (choked)
  for a throttled request.
Copy each msgid exactly from the package's source (curly apostrophes included).
"""

from django.utils.translation import gettext_noop, ngettext_lazy

DJANGO_PASSWORD_VALIDATION = [
    gettext_noop("Your password can’t be too similar to your other personal information."),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
        "min_length",
    ),
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("Your password can’t be entirely numeric."),
]

ALLAUTH = [
    gettext_noop("Sign In"),
    gettext_noop("Sign Up"),
    gettext_noop("Successfully signed in as %(name)s."),
    gettext_noop("You have signed out."),
    gettext_noop("Confirmation email sent to %(email)s."),
    gettext_noop("You have confirmed %(email)s."),
    gettext_noop("Password successfully changed."),
    gettext_noop("Password successfully set."),
    gettext_noop("The email address and/or password you specified are not correct."),
]

REST_FRAMEWORK = [
    gettext_noop("Invalid input."),
    gettext_noop("JSON parse error - %s"),
    gettext_noop("Request was throttled."),
]
