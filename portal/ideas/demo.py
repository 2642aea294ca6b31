"""Demo ideas from residents of Zwolle, in every moderation state and every status.

The ideas follow the themes of the source documents (air quality sensors in Stadshagen as in
#SensHagen, heat stress, safe cycling routes, benches, smart lampposts, a residents' panel on
cameras and sensors). They are written by the DigiD mock's test residents (the same people you
log in as on the mock DigiD page, so "Fatima el Amrani" finds her own ideas), moderated by the
demo moderators and answered by the demo civil servant, all THROUGH the services: every
decision is on the idea's timeline and the counters equal the rows.

Each idea tells a story over weeks or months: its steps run on a demo clock (from `days_ago`
until today), so timelines, "newest" sorting and the monthly moderation statistics look real.

Idempotent: neighbourhoods and theme settings by natural key (update_or_create); an idea whose
title exists already is left alone (with everything that happened to it).
"""

import datetime as dt
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from portal.accounts import roles
from portal.accounts.demo import DEMO_PASSWORD, DOMAIN
from portal.accounts.digid_mock import TEST_RESIDENTS
from portal.accounts.models import User
from portal.ideas import services
from portal.ideas.models import (
    Comment,
    Idea,
    ModerationMode,
    Neighbourhood,
    ReasonCode,
    Status,
    Theme,
    ThemeSettings,
)

NEIGHBOURHOODS = [
    ("Stadshagen", "stadshagen"),
    ("Binnenstad", "binnenstad"),
    ("Assendorp", "assendorp"),
    ("Holtenbroek", "holtenbroek"),
    ("Aa-landen", "aa-landen"),
    ("Westenholte", "westenholte"),
    ("Diezerpoort", "diezerpoort"),
]

# theme -> (moderation of ideas, moderation of comments). Governance ideas are published at once
# and moderated afterwards; comments on "people" ideas wait for a moderator.
THEME_SETTINGS = {
    Theme.MOBILITY: (ModerationMode.PRE, ModerationMode.POST),
    Theme.LIVING: (ModerationMode.PRE, ModerationMode.POST),
    Theme.ECONOMY: (ModerationMode.PRE, ModerationMode.POST),
    Theme.ENVIRONMENT: (ModerationMode.PRE, ModerationMode.POST),
    Theme.GOVERNANCE: (ModerationMode.POST, ModerationMode.POST),
    Theme.PEOPLE: (ModerationMode.PRE, ModerationMode.PRE),
}

# Staff from portal.accounts.demo, plus a second moderator who decides appeals (a different
# moderator than the one who rejected).
STAFF_EMAILS = {
    "moderator": f"moderator@{DOMAIN}",
    "ambtenaar": f"ambtenaar@{DOMAIN}",
    "raad": f"raad@{DOMAIN}",
}
SECOND_MODERATOR = ("moderator2", "Ruben Visser (moderator)")

# Residents who gave consent to show their name with their ideas (the others are shown as
# "anonieme inwoner").
NAMED_RESIDENTS = ("fatima", "sanne", "anouk")

MOD, MOD2, CIVIL = "moderator", "moderator2", "ambtenaar"

# Each idea: who wrote it, what, where, how long ago it started, and its steps in order:
#   ("submit",)  ("publish", mod)  ("request_changes", mod, statement)
#   ("reject", mod, reason, statement[, title of the idea it duplicates])
#   ("appeal", text)  ("uphold", mod, statement)
#   ("status", status, official answer)  ("link", "pilot" | "algorithm", slug, note)
#   ("comment", author, body[, replies [(author, body)]][, "publish" by a moderator])
#   ("support", resident)  ("follow", person)
#   ("report_comment", reporter, comment body, reason, explanation)
#   ("report_idea", reporter, reason, explanation)  ("dismiss_reports", mod)
IDEAS = [
    {
        "title": "Sensoren voor schone lucht bij de scholen in Stadshagen",
        "author": "fatima", "theme": Theme.ENVIRONMENT, "neighbourhood": "stadshagen",
        "location": ("52.53310", "6.05640"), "days_ago": 240,
        "body": (
            "Veel kinderen in Stadshagen fietsen elke dag langs de drukke Hasselterweg naar "
            "school. Niemand weet hoe schoon de lucht daar is: het dichtstbijzijnde meetstation "
            "staat ver weg.\n\n"
            "Mijn idee:\n\n"
            "- hang kleine sensoren voor fijnstof op bij de basisscholen;\n"
            "- laat bewoners ook een sensor aan hun huis hangen;\n"
            "- zet alle metingen op een open kaart.\n\n"
            "Dan weten ouders en de gemeente **waar** het beter moet."
        ),
        "steps": [
            ("submit",),
            ("publish", MOD),
            ("support", "sanne"), ("support", "emre"), ("support", "anouk"),
            ("follow", "jan"), ("follow", "raad"),
            ("comment", "sanne",
             "Goed plan! Ik wil graag weten hoe schoon de lucht is waar mijn kinderen fietsen.",
             [("fatima", "Dank je! Doe je ook mee met een sensor aan je huis?")]),
            ("status", Status.UNDER_CONSIDERATION,
             "We bekijken samen met de GGD en het RIVM hoe bewoners zelf kunnen meten."),
            ("status", Status.ACCEPTED,
             "Goed idee. We starten het meetproject #SensHagen Zwolle. Bewoners en scholen in "
             "Stadshagen kunnen zich aanmelden voor een sensor. De gemeente betaalt de kits."),
            ("comment", CIVIL,
             "Aanmelden voor een sensor kan nu via de pagina van het meetproject. Op de "
             "bouwavond in de bibliotheek helpen vrijwilligers je op weg."),
            ("status", Status.REALISED,
             "Er hangen nu 24 sensoren in Stadshagen, ook bij drie basisscholen. De metingen "
             "staan voor iedereen op de kaart. Dank aan alle bewoners die meedoen!"),
            ("link", "pilot", "senshagen-zwolle-luchtkwaliteit",
             "Dit idee werd het meetproject #SensHagen Zwolle."),
        ],
    },
    {
        "title": "Meer bomen en schaduw op de Grote Markt tegen hitte",
        "author": "sanne", "theme": Theme.ENVIRONMENT, "neighbourhood": "binnenstad",
        "location": ("52.51262", "6.09174"), "days_ago": 75,
        "body": (
            "In de zomer is het op de Grote Markt heel heet. Er is bijna geen schaduw en de "
            "stenen worden warm. Ouderen en kleine kinderen hebben daar last van.\n\n"
            "Plant meer bomen, of zet grote plantenbakken met bomen neer. Een paar "
            "drinkwaterpunten zouden ook helpen."
        ),
        "steps": [
            ("submit",),
            ("publish", MOD),
            ("support", "fatima"), ("support", "emre"), ("support", "anouk"),
            ("comment", "anouk",
             "Vorige zomer was het er 38 graden. Bankjes in de schaduw zouden fijn zijn.",
             [("kees", "Eens. En laat de fonteinen vaker aan staan.")]),
            ("status", Status.UNDER_CONSIDERATION,
             "We onderzoeken met de afdeling Groen waar op de Grote Markt bomen kunnen staan. "
             "Onder de markt liggen kabels en leidingen. In het voorjaar weten we meer."),
        ],
    },
    {
        "title": "Veilige fietsroute naar school in Holtenbroek",
        "author": "emre", "theme": Theme.MOBILITY, "neighbourhood": "holtenbroek",
        "location": ("52.52905", "6.10122"), "days_ago": 110,
        "body": (
            "De oversteek bij de Holtenbroekerweg is gevaarlijk voor kinderen die naar school "
            "fietsen. Auto's rijden er hard en de fietsstrook is smal.\n\n"
            "Maak de fietsstrook breder en zet een slimme oversteek neer die kinderen eerder "
            "groen geeft."
        ),
        "steps": [
            ("submit",),
            ("publish", MOD),
            ("support", "fatima"), ("support", "sanne"),
            ("comment", "jan", "Mijn kleinkinderen fietsen hier ook. Heel goed idee."),
            ("status", Status.ACCEPTED,
             "We maken de fietsstrook breder en passen de oversteek aan. Dat gebeurt in de "
             "zomervakantie van volgend jaar, als er minder verkeer is."),
        ],
    },
    {
        "title": "Fietsers eerder groen licht bij drukke kruispunten",
        "author": "anouk", "theme": Theme.MOBILITY, "neighbourhood": "diezerpoort",
        "location": None, "days_ago": 150,
        "body": (
            "Bij veel kruispunten rond de binnenstad staan fietsers lang te wachten, ook als er "
            "geen auto's zijn. Kunnen de verkeerslichten zien dat er een groep fietsers aankomt "
            "en dan eerder op groen springen?"
        ),
        "steps": [
            ("submit",),
            ("publish", MOD),
            ("support", "emre"), ("support", "fatima"),
            ("status", Status.ACCEPTED,
             "Slimme verkeerslichten (iVRI's) kunnen groepen fietsers voorrang geven. We zetten "
             "dit aan op vijf kruispunten rond de binnenstad. In het algoritmeregister lees je "
             "hoe dat werkt."),
            ("link", "algorithm", "ivri-verkeerslichten-voorrang",
             "De slimme verkeerslichten geven groepen fietsers nu eerder groen."),
        ],
    },
    {
        "title": "Bankjes langs de wandelroute in Westenholte",
        "author": "jan", "theme": Theme.LIVING, "neighbourhood": "westenholte",
        "location": ("52.51956", "6.05380"), "days_ago": 16,
        "body": (
            "Ik wandel elke dag langs de Wetering. Er staat geen enkel bankje. Voor ouderen is "
            "de route daardoor te lang. Zet om de 300 meter een bankje neer, graag met "
            "leuningen zodat je makkelijk opstaat."
        ),
        "steps": [
            ("submit",),
            ("publish", MOD),
            ("support", "anouk"),
            ("follow", "kees"),
            ("comment", "kees", "Ook bij de bushalte aan de Westenholterallee zou een bankje "
                                "fijn zijn."),
        ],
    },
    {
        "title": "Lantaarnpalen die zachter branden als er niemand is",
        "author": "emre", "theme": Theme.ENVIRONMENT, "neighbourhood": "aa-landen",
        "location": ("52.53420", "6.11320"), "days_ago": 9,
        "body": (
            "'s Nachts branden de lantaarnpalen in onze wijk de hele nacht fel, ook als er "
            "niemand op straat is. Slimme lantaarnpalen met een sensor kunnen zachter branden "
            "en feller worden als er iemand aankomt. Dat bespaart stroom."
        ),
        "steps": [
            ("submit",),
            ("request_changes", MOD,
             "Dank voor je idee. Wil je aangeven om welke straten het gaat? Dan kan de gemeente "
             "je idee beter beoordelen. Daarna kun je het opnieuw insturen."),
        ],
    },
    {
        "title": "Gratis wifi in Park de Wezenlanden",
        "author": "kees", "theme": Theme.ECONOMY, "neighbourhood": "assendorp",
        "location": ("52.50640", "6.10360"), "days_ago": 50,
        "body": (
            "In het park zitten in de zomer veel studenten en mensen die buiten werken. "
            "Gratis wifi in het hele park zou handig zijn en het park gezelliger maken."
        ),
        "steps": [
            ("submit",),
            ("publish", MOD),
            ("support", "sanne"),
            ("status", Status.NOT_FEASIBLE,
             "We doen dit niet. Een wifi-netwerk in het park kost veel geld voor aanleg en "
             "onderhoud, en overal in Zwolle is goede mobiele dekking. In de bibliotheek en in "
             "het stadskantoor is wel gratis wifi."),
        ],
    },
    {
        "title": "Grotere fietsenstalling bij station Zwolle",
        "author": "anouk", "theme": Theme.MOBILITY, "neighbourhood": "binnenstad",
        "location": ("52.50500", "6.09150"), "days_ago": 65,
        "body": (
            "De fietsenstalling bij het station is elke ochtend vol. Mensen zetten hun fiets "
            "dan op de stoep, waar hij in de weg staat. Maak de stalling groter, met een bord "
            "dat laat zien waar nog plek is."
        ),
        "steps": [
            ("submit",),
            ("publish", MOD),
            ("support", "emre"), ("support", "sanne"), ("support", "fatima"),
            ("status", Status.ALREADY_PLANNED,
             "Dit staat al in de plannen. Samen met ProRail en NS bouwen we een tweede stalling "
             "aan de Hanzelaan, met 2.500 plekken en borden die vrije plekken tonen."),
        ],
    },
    {
        "title": "Buurtmoestuin op het lege veld in Assendorp",
        "author": "sanne", "theme": Theme.PEOPLE, "neighbourhood": "assendorp",
        "location": ("52.50310", "6.09980"), "days_ago": 35,
        "body": (
            "Aan de rand van Assendorp ligt al jaren een leeg veld. Laten we daar met de buurt "
            "een moestuin maken. Kinderen leren hoe groente groeit, en buren leren elkaar "
            "kennen."
        ),
        "steps": [
            ("submit",),
            ("reject", MOD, ReasonCode.OFF_TOPIC,
             "Dit veld is volgens onze gegevens van een woningcorporatie, niet van de gemeente. "
             "Daarom kunnen we hier niets mee."),
            ("appeal", "Het veld is wel van de gemeente: dat staat op het bord bij de ingang. "
                       "De woningcorporatie heeft het vorig jaar verkocht."),
            ("uphold", MOD2,
             "De indiener heeft gelijk: het veld is sinds vorig jaar van de gemeente. Het idee "
             "wordt alsnog gepubliceerd."),
            ("support", "fatima"), ("support", "anouk"),
            ("comment", "fatima", "Leuk! Ik doe mee en neem mijn buurvrouw mee.", [], "publish"),
            ("comment", "kees", "Ik heb nog gereedschap en zaden over. Waar kan ik die brengen?"),
        ],
    },
    {
        "title": "Digitaal spreekuur voor ouderen in de bibliotheek",
        "author": "jan", "theme": Theme.PEOPLE, "neighbourhood": "holtenbroek",
        "location": None, "days_ago": 28,
        "body": (
            "Veel ouderen in Holtenbroek vinden het lastig om DigiD en de apps van de gemeente "
            "te gebruiken. Een vast spreekuur in de bibliotheek, met vrijwilligers die helpen, "
            "zou veel mensen verder helpen."
        ),
        "steps": [
            ("submit",),
            ("publish", MOD),
            ("support", "anouk"), ("support", "emre"),
            ("status", Status.UNDER_CONSIDERATION,
             "We bespreken met de bibliotheek en de vrijwilligers van Digisterker of een "
             "wekelijks spreekuur in Holtenbroek kan."),
        ],
    },
    {
        "title": "Reclame voor mijn fietsenwinkel op Stadsmakers",
        "author": "kees", "theme": Theme.ECONOMY, "neighbourhood": "binnenstad",
        "location": None, "days_ago": 21,
        "body": (
            "Mijn fietsenwinkel in de Diezerstraat geeft deze maand 20% korting op alle "
            "e-bikes. Zet dat op de voorpagina, dan komen er meer mensen naar de binnenstad."
        ),
        "steps": [
            ("submit",),
            ("reject", MOD, ReasonCode.COMMERCIAL,
             "Stadsmakers is voor ideeën voor de stad, niet voor reclame van één bedrijf. Wil je "
             "als ondernemer meedenken over de binnenstad? Kijk dan bij de uitdagingen."),
        ],
    },
    {
        "title": "Een inwonerspanel over camera's en sensoren in de stad",
        "author": "fatima", "theme": Theme.GOVERNANCE, "neighbourhood": "binnenstad",
        "location": None, "days_ago": 12,
        "body": (
            "De gemeente hangt steeds meer camera's en sensoren op. Inwoners weten vaak niet "
            "wat er wordt gemeten en waarom. Laat een panel van inwoners meepraten voordat er "
            "nieuwe camera's of sensoren komen."
        ),
        "steps": [
            ("submit",),  # governance: post-moderation, published at once
            ("support", "sanne"), ("support", "anouk"), ("support", "emre"),
            ("follow", "raad"),
            ("comment", "emre", "Goed idee. Ik wil weten welke camera's er nu al hangen.",
             [(CIVIL, "In het algoritmeregister staat welke slimme systemen de gemeente "
                      "gebruikt. We kijken of een inwonerspanel daarbij kan helpen.")]),
            ("comment", "kees", "Weer zo'n praatclub van zeurende bewoners. Zonde van het geld."),
            ("report_comment", "fatima",
             "Weer zo'n praatclub van zeurende bewoners. Zonde van het geld.",
             ReasonCode.INSULTING, "Dit is niet aardig over mensen die meedenken."),
        ],
    },
    {
        "title": "Drinkwaterpunt in Park de Wezenlanden",
        "author": "jan", "theme": Theme.LIVING, "neighbourhood": "assendorp",
        "location": ("52.50705", "6.10490"), "days_ago": 6,
        "body": (
            "In de zomer sporten en spelen veel mensen in Park de Wezenlanden. Er is nergens "
            "water te krijgen. Een drinkwaterpunt bij de speeltuin zou fijn zijn."
        ),
        "steps": [
            ("submit",),
            ("reject", MOD, ReasonCode.DUPLICATE,
             "Dit idee lijkt op het idee over schaduw en drinkwater op de Grote Markt. Steun en "
             "reageer daar, dan bundelen we de stemmen.",
             "Meer bomen en schaduw op de Grote Markt tegen hitte"),
            ("appeal", "Mijn idee gaat over het park, niet over de Grote Markt. Dat is een heel "
                       "andere plek, met andere mensen."),
        ],
    },
    {
        "title": "Bezorgen met bakfietsen voor winkels in de binnenstad",
        "author": "sanne", "theme": Theme.ECONOMY, "neighbourhood": "binnenstad",
        "location": ("52.51380", "6.09420"), "days_ago": 40,
        "body": (
            "Vrachtwagens rijden de hele ochtend door de smalle straten van de binnenstad. Laat "
            "winkels samen één bezorgdienst met elektrische bakfietsen gebruiken, vanaf een hub "
            "aan de rand van de stad."
        ),
        "steps": [
            ("submit",),
            ("publish", MOD),
            ("support", "emre"),
            ("report_idea", "kees", ReasonCode.COMMERCIAL, "Dit is reclame voor een bedrijf."),
            ("dismiss_reports", MOD2),
            ("comment", "anouk", "In Utrecht werkt dit al goed. Minder vrachtwagens, "
                                 "meer ruimte."),
        ],
    },
    {
        "title": "Elektrische deelauto's in Stadshagen",
        "author": "emre", "theme": Theme.MOBILITY, "neighbourhood": "stadshagen",
        "location": ("52.53020", "6.06200"), "days_ago": 2,
        "body": (
            "Veel gezinnen in Stadshagen hebben twee auto's, maar de tweede staat meestal stil. "
            "Met elektrische deelauto's in de wijk kunnen mensen hun tweede auto wegdoen."
        ),
        "steps": [("submit",)],
    },
    {
        "title": "De speeltuin aan de Kamperweg opknappen",
        "author": "kees", "theme": Theme.LIVING, "neighbourhood": "westenholte",
        "location": None, "days_ago": 1,
        "body": (
            "De speeltuin aan de Kamperweg is oud. De schommel is kapot en er is geen schaduw. "
            "Ik schrijf dit idee nog verder uit."
        ),
        "steps": [],  # a draft
    },
]


@contextmanager
def _demo_clock(moment):
    """Let every service and auto_now_add field see `moment` as the current time."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _resident(mock_resident) -> User:
    """The account of a DigiD mock test resident (the same account the mock login finds)."""
    try:
        user = User.digid_objects.get_by_bsn(mock_resident.bsn)
    except User.DoesNotExist:
        user = User.digid_objects.digid_create(mock_resident.bsn,
                                               display_name=mock_resident.name)
    # As the DigiD middleware sets it for a request: supporting needs level midden or higher.
    user.assurance_level = str(mock_resident.level)
    return user


def _second_moderator() -> User:
    local_part, name = SECOND_MODERATOR
    email = f"{local_part}@{DOMAIN}"
    user, _created = User.objects.update_or_create(
        email=email,
        defaults={"display_name": name, "is_active": True, "is_staff": False,
                  "is_superuser": False},
    )
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(user=user, email=email,
                                          defaults={"verified": True, "primary": True})
    user.groups.add(Group.objects.get_or_create(name=roles.MODERATOR)[0])
    return user


def _people() -> dict[str, User]:
    people = {resident.key: _resident(resident) for resident in TEST_RESIDENTS}
    for key, email in STAFF_EMAILS.items():
        people[key] = User.objects.get(email=email)
    people[MOD2] = _second_moderator()
    return people


def _grant_name_consent(people) -> int:
    from portal.consent.models import Purpose
    from portal.consent.selectors import consent_has, current_text
    from portal.consent.services import consent_grant

    purpose = Purpose.objects.filter(code=services.AUTHOR_NAME_PURPOSE, active=True).first()
    text = current_text(purpose=purpose) if purpose else None
    if text is None:
        return 0
    granted = 0
    for key in NAMED_RESIDENTS:
        user = people[key]
        if not consent_has(user=user, purpose_code=services.AUTHOR_NAME_PURPOSE):
            consent_grant(user=user, text=text, method="web",
                          assurance_level=user.assurance_level)
            granted += 1
    return granted


def _comment(idea, people, author, body, replies=(), publish_by=None):
    comment = services.comment_create(idea=idea, author=people[author], body=body)
    if publish_by and not comment.is_public:
        services.comment_moderate(comment=comment, by=people[publish_by], action="publish")
    for reply_author, reply_body in replies:
        services.comment_create(idea=idea, author=people[reply_author], body=reply_body,
                                parent=comment)


def _link(idea, people, kind, slug, note):
    from registry.models import Algorithm, Pilot

    model = Pilot if kind == "pilot" else Algorithm
    target = model.objects.filter(slug=slug).first()
    if target is None:  # the registry demo was not loaded
        return
    services.idea_link_add(idea=idea, by=people[CIVIL], note=note, **{kind: target})


# The idea that led to a challenge to the knowledge community, when the challenges demo has
# published one: preferably a challenge about heat, otherwise the first one published.
CHALLENGE_IDEA = "Meer bomen en schaduw op de Grote Markt tegen hitte"
CHALLENGE_WORD = "hitte"
CHALLENGE_NOTE = ("Dit idee bracht de gemeente op deze uitdaging: ondernemers en "
                  "kennisinstellingen denken mee over een oplossing.")


def _link_a_challenge(people) -> int:
    """Links the demo idea to a published challenge, once; quietly nothing (0) when no
    challenge is published yet (the challenges demo may load after this one)."""
    from django.db.models import Q

    from challenges.models import Challenge

    idea = Idea.objects.public().filter(title=CHALLENGE_IDEA).first()
    if idea is None or idea.links.filter(challenge__isnull=False).exists():
        return 0
    challenges = Challenge.objects.public().order_by("published_at", "pk")
    challenge = (challenges.filter(Q(title__icontains=CHALLENGE_WORD)
                                   | Q(problem__icontains=CHALLENGE_WORD)).first()
                 or challenges.first())
    if challenge is None:
        return 0
    services.idea_link_add(idea=idea, by=people[CIVIL], challenge=challenge, note=CHALLENGE_NOTE)
    return 1


def _step(idea, people, step) -> Idea:
    kind, *args = step
    if kind == "submit":
        return services.idea_submit(idea=idea, by=idea.author)
    if kind == "publish":
        return services.idea_moderate(idea=idea, by=people[args[0]], action="publish")
    if kind == "request_changes":
        return services.idea_moderate(idea=idea, by=people[args[0]], action="request_changes",
                                      statement=args[1])
    if kind == "reject":
        duplicate_of = Idea.objects.get(title=args[3]) if len(args) > 3 else None
        return services.idea_moderate(idea=idea, by=people[args[0]], action="reject",
                                      reason_code=args[1], statement=args[2],
                                      duplicate_of=duplicate_of)
    if kind == "appeal":
        services.idea_appeal(idea=idea, by=idea.author, text=args[0])
    elif kind == "uphold":
        return services.idea_appeal_decide(idea=idea, by=people[args[0]], uphold=True,
                                           statement=args[1])
    elif kind == "status":
        services.idea_status_change(idea=idea, by=people[CIVIL], status=args[0], answer=args[1])
    elif kind == "link":
        _link(idea, people, *args)
    elif kind == "comment":
        author, body, *rest = args
        _comment(idea, people, author, body, rest[0] if rest else (),
                 publish_by=MOD if rest[1:] == ["publish"] else None)
    elif kind == "support":
        services.idea_support(idea=idea, user=people[args[0]])
    elif kind == "follow":
        services.idea_follow(idea=idea, user=people[args[0]])
    elif kind == "report_comment":
        comment = Comment.objects.get(idea=idea, body=args[1])
        services.report_create(reporter=people[args[0]], idea=idea, comment=comment,
                               reason_code=args[2], explanation=args[3])
    elif kind == "report_idea":
        services.report_create(reporter=people[args[0]], idea=idea, reason_code=args[1],
                               explanation=args[2])
    elif kind == "dismiss_reports":
        services.reports_dismiss(idea=idea, by=people[args[0]])
    else:
        raise ValueError(f"unknown demo step: {kind}")
    return Idea.objects.get(pk=idea.pk)


def _idea_build(spec, people, neighbourhoods, now) -> Idea:
    """Create the idea and run its steps, spread from `days_ago` until (almost) now."""
    start = now - dt.timedelta(days=spec["days_ago"])
    steps = spec["steps"]
    interval = (now - start) / (len(steps) + 2)
    author = people[spec["author"]]
    latitude, longitude = spec["location"] or (None, None)
    with _demo_clock(start):
        idea = services.idea_create(
            author=author, show_author_name=spec["author"] in NAMED_RESIDENTS,
            title=spec["title"], body=spec["body"], theme=spec["theme"],
            neighbourhood=neighbourhoods[spec["neighbourhood"]],
            latitude=Decimal(latitude) if latitude else None,
            longitude=Decimal(longitude) if longitude else None,
        )
    idea.author = author  # keeps the in-memory assurance level for the author's own steps
    for number, step in enumerate(steps, start=1):
        # A few hours apart within a day as well, so that the steps do not share a minute.
        with _demo_clock(start + interval * number + dt.timedelta(minutes=7 * number)):
            idea = _step(idea, people, step)
            idea.author = author
    return idea


def load() -> str:
    if settings.DIGID_MODE != "mock":
        # The demo residents are the DigiD mock's; the second moderator has a public password.
        raise ImproperlyConfigured("Demo ideas are only loaded with DIGID_MODE=mock.")
    neighbourhoods = {}
    for name, slug in NEIGHBOURHOODS:
        neighbourhoods[slug], _created = Neighbourhood.objects.update_or_create(
            slug=slug, defaults={"name": name})
    for theme, (idea_mode, comment_mode) in THEME_SETTINGS.items():
        ThemeSettings.objects.update_or_create(
            theme=theme, defaults={"idea_moderation": idea_mode,
                                   "comment_moderation": comment_mode})

    people = _people()
    consents = _grant_name_consent(people)
    now = timezone.now()
    created = 0
    for spec in IDEAS:
        if Idea.objects.filter(title=spec["title"]).exists():
            continue
        _idea_build(spec, people, neighbourhoods, now)
        created += 1
    challenge_links = _link_a_challenge(people)
    return (
        f"{len(NEIGHBOURHOODS)} neighbourhoods, {len(THEME_SETTINGS)} theme settings; "
        f"{created} ideas added ({Idea.objects.count()} in total); "
        f"links to a challenge added: {challenge_links}; "
        f"{consents} consents to show a name; second moderator {SECOND_MODERATOR[0]}@{DOMAIN}"
    )
