"""Role names. Staff roles are Django groups, created by migration 0003_role_groups.

Visitor, resident, verified resident, organisation member and admin are derived from the user
(anonymous, `bsn_pseudonym`, DigiD assurance level, a Membership, `is_superuser`); the four
staff roles below are group memberships that an administrator assigns in the admin.
"""

MODERATOR = "moderator"
CIVIL_SERVANT = "civil_servant"
JURY_MEMBER = "jury_member"
COUNCIL_MEMBER = "council_member"

GROUP_NAMES = (MODERATOR, CIVIL_SERVANT, JURY_MEMBER, COUNCIL_MEMBER)

# Every role the role matrix knows, from least to most privileged.
VISITOR = "visitor"
RESIDENT = "resident"
VERIFIED_RESIDENT = "verified_resident"
ORGANISATION_MEMBER = "organisation_member"
ORGANISATION_ADMIN = "organisation_admin"
ADMIN = "admin"

ALL_ROLES = (
    VISITOR,
    RESIDENT,
    VERIFIED_RESIDENT,
    ORGANISATION_MEMBER,
    ORGANISATION_ADMIN,
    MODERATOR,
    CIVIL_SERVANT,
    JURY_MEMBER,
    COUNCIL_MEMBER,
    ADMIN,
)

# The minimum DigiD assurance level for acting as a verified resident.
VERIFIED_RESIDENT_MINIMUM_LEVEL = "midden"
