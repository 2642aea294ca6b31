"""Demo challenges: three problems from the source documents, each in another stage.

- **Hitte en wateroverlast in Stadshagen** (Zwolle) is open: questions answered (one still
  waits), a dated amendment that gave bidders a week more, a submitted proposal (with its
  receipt) and a draft. Bidders may use the #SensHagen sensor project (a link to its page).
- **Veilig naar school** is in assessment: three proposals, a jury with a chair, one declared
  conflict of interest, and scores that are not complete yet: the demo jury member
  (`jury@…`, the chair) still has two proposals to score before she can finalise and award.
- **Slimmer afval ophalen** is awarded: a finalised ranking, a motivated outcome letter for
  every bidder, and the pilot in the pilot register, completed by the civil servant and
  published by a colleague (four-eyes).

Everything goes THROUGH challenges/services.py (and registry/services.py for the pilot), so
every invariant holds: timeline order, weights adding up to 100, deadlines to the second,
conflicts before scores. Each step runs on a demo clock (`demo_clock`), so dates, events,
receipts and notifications lie in the past where the story says they happened.

The organisations and people are those of portal/accounts/demo.py, plus two startups and two
jury members made here (e-mail accounts with the demo password).

Idempotent: people and organisations by natural key (update_or_create); a challenge whose slug
exists is left alone with everything that happened to it.
"""

import datetime as dt
import textwrap
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from unittest import mock

from allauth.account.models import EmailAddress
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from challenges import services
from challenges.models import Challenge, Proposal, Question
from portal.accounts import roles
from portal.accounts.demo import DEMO_PASSWORD, DOMAIN
from portal.accounts.models import Membership, Organisation, User

# --- the demo clock ----------------------------------------------------------------------------

_REAL_NOW = timezone.now


@contextmanager
def server_clock(now: Callable[[], dt.datetime]):
    """Let the services, and every model field whose default is `timezone.now` (events, asked
    at, appointed at, notifications …), read the time from `now()`."""
    fields = [
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.default is _REAL_NOW
    ]
    with ExitStack() as stack:
        stack.enter_context(mock.patch("django.utils.timezone.now", new=now))
        for field in fields:
            # Field.get_default() calls the cached `_get_default`; an instance attribute wins.
            field._get_default = now
            stack.callback(field.__dict__.pop, "_get_default", None)
        yield


def demo_clock(moment: dt.datetime):
    """The clock stands still at `moment`."""
    return server_clock(lambda: moment)


def _at(now: dt.datetime, days: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """`days` from today at hour:minute, Amsterdam time (aware)."""
    day = timezone.localtime(now).date() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


# --- people and organisations -----------------------------------------------------------------

CIVIL_SERVANT = f"ambtenaar@{DOMAIN}"
# Publishes the pilot created on award: never the civil servant who submitted it (four-eyes),
# as in registry/demo.py.
APPROVER = f"admin@{DOMAIN}"

# (e-mail local part, display name); "jury" comes from portal/accounts/demo.py.
JURY = [
    ("jury", "Prof. Ingrid Kok (jury)"),
    ("jury.jansen", "Ir. Bas Jansen (jury)"),
    ("jury.postma", "Fenna Postma (jury)"),
]

# Two startups besides the organisations of portal/accounts/demo.py.
ORGANISATIONS = [
    {
        "slug": "containerwijs",
        "name": "Containerwijs B.V.",
        "kind": Organisation.Kind.STARTUP,
        "kvk_number": "86431279",
        "website": "https://containerwijs.example",
        "description": (
            "Startup uit Deventer die vulgraadsensoren en routeplanning voor afvalcontainers "
            "levert aan gemeenten."
        ),
        "members": [("containerwijs", "Lars Hoekstra", Membership.Role.ADMIN)],
    },
    {
        "slug": "routewijzer",
        "name": "Routewijzer B.V.",
        "kind": Organisation.Kind.STARTUP,
        "kvk_number": "85170342",
        "website": "https://routewijzer.example",
        "description": (
            "Startup die met kinderen, ouders en scholen veilige fiets- en looproutes in kaart "
            "brengt."
        ),
        "members": [("routewijzer", "Amira Haddou", Membership.Role.ADMIN)],
    },
]

# organisation slug -> the e-mail local part of the member who acts for it in the demo.
ACTOR = {
    "luchtpeil-zwolle": "luchtpeil",
    "lectoraat-sensordata-leefomgeving": "lectoraat",
    "van-dijk-installatietechniek": "vandijk",
    "containerwijs": "containerwijs",
    "routewijzer": "routewijzer",
}


def _demo_user(local_part: str, display_name: str) -> User:
    email = f"{local_part}@{DOMAIN}"
    user, _created = User.objects.update_or_create(
        email=email, defaults={"display_name": display_name, "is_active": True},
    )
    if not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(user=user, email=email,
                                          defaults={"verified": True, "primary": True})
    return user


def _jury() -> dict[str, User]:
    group = Group.objects.get_or_create(name=roles.JURY_MEMBER)[0]
    people = {}
    for local_part, name in JURY:
        people[local_part] = _demo_user(local_part, name)
        people[local_part].groups.add(group)
    return people


def _organisations() -> dict[str, Organisation]:
    for data in ORGANISATIONS:
        data = dict(data)
        members = data.pop("members")
        organisation, _created = Organisation.objects.update_or_create(slug=data.pop("slug"),
                                                                       defaults=data)
        for local_part, name, role in members:
            Membership.objects.update_or_create(
                organisation=organisation, user=_demo_user(local_part, name),
                defaults={"role": role},
            )
    return {organisation.slug: organisation
            for organisation in Organisation.objects.filter(slug__in=ACTOR)}


def _people() -> dict[str, User]:
    people = _jury()
    people["ambtenaar"] = User.objects.get(email=CIVIL_SERVANT)
    people["admin"] = User.objects.get(email=APPROVER)
    for local_part in (*ACTOR.values(), "luchtpeil.data"):
        people[local_part] = User.objects.get(email=f"{local_part}@{DOMAIN}")
    return people


# --- attachments -------------------------------------------------------------------------------


def _pdf_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def pdf_document(title: str, paragraphs: list[str]) -> bytes:
    """A small, valid one-page PDF with a title and text (Helvetica, A4)."""
    operations = ["BT", "/F1 16 Tf", "18 TL", "72 770 Td", f"({_pdf_text(title)}) Tj",
                  "/F1 11 Tf", "15 TL", "T*"]
    for paragraph in paragraphs:
        for line in textwrap.wrap(paragraph, 90) + [""]:
            operations += ["T*", f"({_pdf_text(line)}) Tj"]
    operations.append("ET")
    stream = "\n".join(operations).encode("cp1252", errors="replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    document = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(document))
        document += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(document)
    document += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        document += b"%010d 00000 n \n" % offset
    document += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(document)


def _attach(proposal: Proposal, by: User, label: str, content: dict) -> None:
    name = f"{label.split(' (')[0].lower().replace(' ', '-')}-{proposal.organisation.slug}.pdf"
    document = pdf_document(
        f"{label}: {proposal.organisation.name}",
        [proposal.challenge.title, content["summary"], content["approach"], content["planning"]],
    )
    services.attachment_add(proposal=proposal, by=by, label=label,
                            upload=SimpleUploadedFile(name, document, "application/pdf"))


# --- the three challenges ----------------------------------------------------------------------

PLAN = "Plan van aanpak (PDF)"
BUDGET_SHEET = "Begroting (PDF)"


def _sensor_project_url() -> str:
    # A link, not an import: challenges may not depend on sensors (docs/architecture.md).
    return f"{settings.SITE_URL.rstrip('/')}/sensoren/senshagen/"


def _heat_content(now) -> dict:
    return {
        "title": "Koel en droog Stadshagen: minder hitte en wateroverlast",
        "problem": (
            "Stadshagen is een jonge wijk met veel stenen, weinig grote bomen en platte daken. "
            "Op hete zomerdagen wordt het er tot zes graden warmer dan buiten de stad, en 's "
            "nachts koelt het slecht af. Bij een flinke bui lopen straten en tuinen onder, "
            "omdat het water niet snel genoeg weg kan.\n\n"
            "Bewoners melden elk jaar meer last van hitte en water. De meetkits van #SensHagen "
            "laten zien waar het 's nachts het minst afkoelt."
        ),
        "for_whom": (
            "Ouderen, mensen met een zwakke gezondheid en jonge kinderen, die het meeste last "
            "hebben van hitte. En bewoners van straten in Werkeren en Frankhuis die bij hevige "
            "regen onderlopen."
        ),
        "not_asked": (
            "We schrijven geen oplossing of techniek voor. We vragen niet om airco's en niet om "
            "nieuwe rioolbuizen: die vallen buiten deze uitdaging."
        ),
        "theme": "Natuur en milieu",
        "sdg_goals": [3, 11, 13],
        "department": "Ruimte en Duurzaamheid",
        "contact_name": "Marloes Brink",
        "contact_email": "uitdagingen@zwolle.example",
        "budget": Decimal("60000"),
        "prize_description": "€ 60.000 voor een pilot van twaalf maanden in Stadshagen.",
        "winner_gets": (
            "Een betaalde pilot met de gemeente als eerste klant (launching customer), en hulp "
            "bij het vinden van plekken en bewoners die meedoen."
        ),
        "eligible_kinds": [],
        "required_attachments": [PLAN],
        "data_sources": [
            {"title": "#SensHagen: temperatuur en fijnstof, gemeten door bewoners",
             "url": _sensor_project_url()},
            {"title": "Klimaateffectatlas: hittekaart en kans op wateroverlast",
             "url": "https://www.klimaateffectatlas.nl/"},
        ],
        "opens_at": _at(now, -20, 9),
        "questions_deadline": _at(now, 7, 17),
        "submission_deadline": _at(now, 18, 17),
        "jury_date": _at(now, 32, 10),
        "award_date": _at(now, 46, 10),
    }


HEAT_CRITERIA = [
    {"title": "Effect op hitte en water",
     "description": "Hoeveel koeler en droger wordt de wijk, en hoe meet u dat?", "weight": 40},
    {"title": "Bewoners doen mee",
     "description": "Hoe werken bewoners mee aan het plan en de metingen?", "weight": 20},
    {"title": "Haalbaar binnen een jaar",
     "description": "Kan de pilot binnen twaalf maanden draaien en resultaat laten zien?",
     "weight": 25},
    {"title": "Kosten en onderhoud",
     "description": "Wat kost het, ook na de pilot?", "weight": 15},
]

ROUTES_CONTENT = {
    "title": "Veilig naar school: routes waar kinderen zelf fietsen en lopen",
    "problem": (
        "Veel ouders brengen hun kinderen met de auto naar school, omdat ze de route te "
        "gevaarlijk vinden. Daardoor wordt het rond scholen juist drukker en onveiliger. Bij "
        "oversteekplaatsen op de Holtenbroekerweg en de Hasselterweg rijden auto's vaak te "
        "hard.\n\nWe weten niet goed waar en wanneer kinderen zich onveilig voelen."
    ),
    "for_whom": (
        "Kinderen van 8 tot 12 jaar die zelf naar school fietsen of lopen, en hun ouders. Ook "
        "buurtbewoners die last hebben van de drukte bij scholen."
    ),
    "not_asked": (
        "We vragen niet om nieuwe wegen of verkeerslichten, en niet om camera's die kentekens "
        "of gezichten vastleggen. We schrijven geen app of sensor voor."
    ),
    "theme": "Verkeer",
    "sdg_goals": [3, 4, 11],
    "department": "Mobiliteit",
    "contact_name": "Rik Meijer",
    "contact_email": "verkeer@zwolle.example",
    "budget": Decimal("40000"),
    "prize_description": "€ 40.000 voor een pilot bij vier basisscholen.",
    "winner_gets": "Een pilot van een schooljaar bij vier basisscholen, met de gemeente als "
                   "eerste klant.",
    "eligible_kinds": [Organisation.Kind.STARTUP, Organisation.Kind.SME,
                       Organisation.Kind.KNOWLEDGE_INSTITUTION],
    "required_attachments": [PLAN],
    "data_sources": [
        {"title": "Geregistreerde verkeersongevallen in Nederland (BRON)",
         "url": "https://data.overheid.nl/dataset/verkeersongevallen---bestand-geregistreerde-"
                "ongevallen-nederland"},
    ],
}

ROUTES_CRITERIA = [
    {"title": "Veiligheid van kinderen",
     "description": "Worden de routes aantoonbaar veiliger, en voelen kinderen dat ook zo?",
     "weight": 50},
    {"title": "Privacy en ethiek",
     "description": "Geen beelden of gegevens die kinderen herkenbaar maken.", "weight": 25},
    {"title": "Samenwerking en prijs",
     "description": "Werken scholen, ouders en kinderen mee; is de prijs redelijk?",
     "weight": 25},
]

WASTE_CONTENT = {
    "title": "Slimmer afval ophalen: minder rijden, geen volle containers",
    "problem": (
        "De vuilniswagens rijden elke week dezelfde route, ook langs containers die bijna leeg "
        "zijn. Tegelijk staan er in drukke straten volle containers met zakken ernaast. Dat kost "
        "geld, geeft uitstoot en maakt de straat vies. Bewoners doen hierover elke maand ruim "
        "300 meldingen."
    ),
    "for_whom": (
        "Bewoners die hun afval kwijt willen bij een container die niet vol is, en de "
        "medewerkers van de afvaldienst die de routes rijden."
    ),
    "not_asked": (
        "We vragen geen nieuwe containers en geen nieuwe vuilniswagens. De oplossing mag niet "
        "vastleggen wie er afval weggooit: we volgen of beboeten geen bewoners."
    ),
    "theme": "Natuur en milieu",
    "sdg_goals": [11, 12, 13],
    "department": "Stadsbeheer, team Afval",
    "contact_name": "Sjoerd Bosman",
    "contact_email": "afval@zwolle.example",
    "budget": Decimal("75000"),
    "prize_description": "€ 75.000 voor een pilot van een jaar in drie wijken.",
    "winner_gets": (
        "Een betaalde pilot van een jaar, met uitzicht op een contract als de pilot slaagt "
        "(launching customer)."
    ),
    "eligible_kinds": [],
    "required_attachments": [PLAN, BUDGET_SHEET],
    "data_sources": [
        {"title": "Meldingen openbare ruimte: afval naast containers (2024)",
         "url": "https://data.zwolle.example/meldingen-afval-2024"},
    ],
}

WASTE_CRITERIA = [
    {"title": "Minder kilometers en een schone straat",
     "description": "Hoeveel minder rijden we, en hoeveel minder afval ligt er naast "
                    "containers?", "weight": 50},
    {"title": "Privacy",
     "description": "Meet alleen de container, nooit de bewoner.", "weight": 20},
    {"title": "Prijs en haalbaarheid",
     "description": "Past het in het budget en werkt het met onze wagens en planners?",
     "weight": 30},
]

PROPOSALS = {
    ("heat", "lectoraat-sensordata-leefomgeving"): {
        "summary": (
            "Koele routes: we meten met bewoners waar het 's nachts warm blijft, vergroenen "
            "samen vijf tegelpleinen en geveltuinen, en laten met de #SensHagen-metingen zien "
            "hoeveel koeler het daar wordt."
        ),
        "approach": (
            "Met de hittekaart en de #SensHagen-metingen kiezen we vijf hete plekken. Studenten "
            "en bewoners halen tegels weg en planten bomen en geveltuinen. Regenwater loopt naar "
            "wadi's in plaats van het riool. Bij elke plek hangen we een extra "
            "temperatuursensor."
        ),
        "team": "Dr. Noor Bakker (lector), twee docenten, twaalf studenten per semester.",
        "planning": "Maart: plekken kiezen. April–mei: vergroenen. Juni–september: meten. "
                    "Oktober: resultaten.",
        "budget": Decimal("58500"),
        "success_measures": (
            "Op hete nachten twee graden koeler dan vergelijkbare plekken; geen water op straat "
            "bij een bui van 20 mm in een uur; 50 bewoners doen mee."
        ),
    },
    ("heat", "luchtpeil-zwolle"): {
        "summary": "Een hittealarm voor ouderen in Stadshagen, op basis van de #SensHagen-"
                   "metingen.",
        "approach": "We maken een sms-dienst die ouderen en mantelzorgers waarschuwt als het "
                    "in hun straat 's nachts te warm blijft.",
    },
    ("routes", "routewijzer"): {
        "summary": (
            "Kinderen tekenen hun eigen schoolroute en markeren waar ze zich onveilig voelen. "
            "Samen met ouders en de gemeente maken we de drie gevaarlijkste plekken per school "
            "veiliger."
        ),
        "approach": (
            "In groep 6 tot en met 8 tekenen kinderen hun route op een papieren en digitale "
            "kaart. Tellers zonder camera meten de snelheid van auto's bij de oversteken. Per "
            "school kiezen we drie maatregelen, zoals een smallere weg of een klaar-over."
        ),
        "team": "Amira Haddou (verkeerskundige), een ontwerper en een onderwijsadviseur.",
        "planning": "September: tekenen. Oktober: meten. November–maart: maatregelen. Juni: "
                    "evaluatie.",
        "budget": Decimal("38000"),
        "success_measures": (
            "20% meer kinderen fietsen of lopen zelf; auto's rijden bij de oversteken "
            "gemiddeld onder 30 km/u; kinderen geven hun route een hoger rapportcijfer."
        ),
    },
    ("routes", "luchtpeil-zwolle"): {
        "summary": (
            "Sensoren bij vier scholen meten drukte, snelheid en luchtkwaliteit. Een open "
            "dashboard laat ouders zien wanneer de route rustig en schoon is."
        ),
        "approach": (
            "We plaatsen radartellers en fijnstofsensoren bij de schoolingangen. Het dashboard "
            "toont per kwartier de drukte. Scholen gebruiken het om de schooltijden te spreiden."
        ),
        "team": "Eva Mulder (directeur), Sem Verhoeven (data) en een installateur.",
        "planning": "Augustus: plaatsen. September–juni: meten en elke maand rapporteren.",
        "budget": Decimal("36000"),
        "success_measures": "Minder auto's in het spitskwartier; fijnstof bij de ingang onder "
                            "de WHO-advieswaarde.",
    },
    ("routes", "lectoraat-sensordata-leefomgeving"): {
        "summary": (
            "Een onderzoek met kinderen als onderzoekers: ze meten zelf drukte en gevoel van "
            "veiligheid, en adviseren de gemeente."
        ),
        "approach": (
            "Kinderen houden een week een route-dagboek bij en tellen auto's met een simpele "
            "teller. Studenten verwerken de gegevens; de kinderen presenteren hun advies aan de "
            "wethouder."
        ),
        "team": "Dr. Noor Bakker, Jesse de Graaf en studenten Pedagogiek.",
        "planning": "Oktober–december: meten. Januari–februari: analyse. Maart: advies.",
        "budget": Decimal("32000"),
        "success_measures": "Een advies per school, gedragen door kinderen en ouders; twee "
                            "maatregelen uitgevoerd binnen het schooljaar.",
    },
    ("waste", "containerwijs"): {
        "summary": (
            "Vulgraadsensoren in alle ondergrondse containers van drie wijken en een "
            "routeplanner die de vuilniswagen elke dag alleen langs volle containers stuurt."
        ),
        "approach": (
            "We plaatsen een sensor in de containers die er nog geen hebben. De planner maakt "
            "elke ochtend een route; de planner van de afvaldienst keurt die goed. Sensoren "
            "meten alleen de vulgraad, nooit wie er iets in gooit."
        ),
        "team": "Lars Hoekstra (directeur), twee ontwikkelaars en een monteur.",
        "planning": "Maand 1–2: sensoren plaatsen. Maand 3: proefroutes. Maand 4–12: dagelijks "
                    "plannen en maandelijks rapporteren.",
        "budget": Decimal("72000"),
        "success_measures": (
            "25% minder gereden kilometers en 30% minder meldingen van afval naast containers, "
            "vergeleken met hetzelfde seizoen een jaar eerder."
        ),
    },
    ("waste", "van-dijk-installatietechniek"): {
        "summary": "Zonnepanelen op containers voor een perscontainer die vier keer zoveel "
                   "afval kwijt kan.",
        "approach": "We bouwen in tien containers een pers op zonne-energie. Ze hoeven "
                    "daardoor minder vaak geleegd te worden.",
        "team": "Gert van Dijk en twee monteurs.",
        "planning": "Maand 1–4: ombouwen. Maand 5–12: gebruiken en meten.",
        "budget": Decimal("74000"),
        "success_measures": "Containers hoeven de helft minder vaak geleegd te worden.",
    },
    ("waste", "lectoraat-sensordata-leefomgeving"): {
        "summary": "Onderzoek naar wanneer en waarom containers vol raken, als basis voor een "
                   "nieuwe ophaalplanning.",
        "approach": "Studenten analyseren een jaar aan meldingen en vulgraden en ontwerpen met "
                    "de afvaldienst een nieuw schema.",
        "team": "Dr. Noor Bakker en studenten Logistiek.",
        "planning": "Semester 1: analyse. Semester 2: nieuw schema uitproberen in één wijk.",
        "budget": Decimal("30000"),
        "success_measures": "Een gedragen nieuw schema en een rapport.",
    },
}

# (challenge, organisation, asker, question, answer or None (still waiting), days from today
# for asking and for answering)
QUESTIONS = {
    "heat": [
        ("luchtpeil-zwolle", "luchtpeil",
         "Mogen we de ruwe metingen van de #SensHagen-kits gebruiken, of alleen de "
         "uurgemiddelden?",
         "U mag alle open metingen gebruiken: de ruwe metingen en de uurgemiddelden staan onder "
         "CC BY 4.0 op de pagina van het meetproject. Gegevens over de deelnemers zelf krijgt u "
         "niet.", -16, -15),
        ("van-dijk-installatietechniek", "vandijk",
         "Mag ons voorstel ook over daken van woningen gaan, of alleen over de openbare ruimte?",
         "Beide mag. Voor daken van huurwoningen heeft u toestemming van de woningcorporatie "
         "nodig; de gemeente helpt bij het eerste contact.", -11, -9),
        ("lectoraat-sensordata-leefomgeving", "lectoraat",
         "Heeft de gemeente een voorkeur voor een buurt in Stadshagen?", None, -2, None),
    ],
    "routes": [
        ("routewijzer", "routewijzer",
         "Mogen we tellers met een camera gebruiken als die geen beelden opslaan?",
         "Ja, als de camera alleen telt, er geen beelden worden opgeslagen of verstuurd, en u in "
         "uw voorstel uitlegt hoe u dat borgt. Voor de pilot maken we samen een DPIA.", -50, -48),
    ],
    "waste": [
        ("van-dijk-installatietechniek", "vandijk",
         "Hebben alle ondergrondse containers al een vulgraadsensor?",
         "Nee, ongeveer de helft. De andere helft kan in de pilot een sensor krijgen; neem die "
         "kosten op in uw begroting.", -140, -138),
    ],
}

# Scores: (jury member, organisation) -> [(score, motivation) per criterion, in order].
ROUTES_SCORES = {
    ("jury.jansen", "routewijzer"): [
        (8, "Kinderen wijzen zelf de gevaarlijke plekken aan: dat levert precies de kennis "
            "die we missen."),
        (9, "Tellers zonder beeld; de kaarten zijn anoniem."),
        (7, "Goede rol voor scholen; de prijs past ruim in het budget."),
    ],
    ("jury.jansen", "luchtpeil-zwolle"): [
        (6, "Meet drukte goed, maar zegt weinig over hoe kinderen de route ervaren."),
        (7, "Radartellers herkennen niemand; let op de locatie van de sensoren."),
        (6, "Scholen zijn vooral gebruiker van het dashboard, niet mede-eigenaar."),
    ],
    ("jury.jansen", "lectoraat-sensordata-leefomgeving"): [
        (6, "Sterk onderzoek, maar de maatregelen komen pas laat."),
        (8, "Kinderen doen mee met toestemming van ouders; gegevens blijven anoniem."),
        (8, "Kinderen en scholen zijn echt partner; de laagste prijs."),
    ],
    ("jury.postma", "routewijzer"): [
        (9, "Ouders in mijn buurt herkennen deze plekken meteen."),
        (8, "Geen camera's op kinderen gericht; dat stelt ouders gerust."),
        (8, "Vier scholen hebben al toegezegd mee te doen."),
    ],
    ("jury.postma", "lectoraat-sensordata-leefomgeving"): [
        (7, "Kinderen leren veel, maar de route is pas volgend jaar veiliger."),
        (8, "Zorgvuldig: toestemming per kind, niets herleidbaar."),
        (7, "Goede samenwerking met scholen; wel veel tijd van leerkrachten."),
    ],
    ("jury", "routewijzer"): [
        (8, "Concreet plan met meetbare doelen per oversteek."),
        (8, "Privacy is vanaf het begin meegenomen."),
        (7, "Redelijke prijs; klaar-overs zijn afhankelijk van vrijwilligers."),
    ],
}

WASTE_SCORES = {
    ("jury.jansen", "containerwijs"): [
        (9, "Bewezen techniek; de routeplanner sluit aan op onze wagens."),
        (8, "Sensoren meten alleen de vulgraad."),
        (8, "Binnen budget, met een realistische planning."),
    ],
    ("jury.jansen", "van-dijk-installatietechniek"): [
        (6, "Minder vaak legen, maar de route blijft dezelfde."),
        (9, "Er wordt niets over bewoners vastgelegd."),
        (5, "Ombouwen van tien containers is duur en kwetsbaar."),
    ],
    ("jury.jansen", "lectoraat-sensordata-leefomgeving"): [
        (5, "Levert kennis, maar in de pilot nog geen minder kilometers."),
        (8, "Alleen gegevens over containers en meldingen."),
        (7, "Goedkoop en goed uitvoerbaar met studenten."),
    ],
    ("jury", "containerwijs"): [
        (8, "Duidelijke nulmeting en doel voor kilometers en meldingen."),
        (8, "De privacyparagraaf is helder."),
        (7, "Het onderhoud na de pilot verdient nog aandacht."),
    ],
    ("jury", "van-dijk-installatietechniek"): [
        (6, "Interessant idee, weinig onderbouwd met cijfers."),
        (8, "Geen persoonsgegevens."),
        (6, "Planning is krap voor het ombouwen."),
    ],
    ("jury", "lectoraat-sensordata-leefomgeving"): [
        (6, "Goede analyse, maar het effect op straat komt laat."),
        (9, "Voorbeeldig in het omgaan met gegevens."),
        (7, "Past goed in het budget."),
    ],
    ("jury.postma", "containerwijs"): [
        (9, "Bewoners in drie wijken merken het meteen aan schonere straten."),
        (7, "Maak aan bewoners duidelijk wat de sensor wel en niet meet."),
        (8, "Goede afspraken over storingen."),
    ],
    ("jury.postma", "van-dijk-installatietechniek"): [
        (7, "Minder volle containers, maar geen oplossing voor de route."),
        (8, "Niets over bewoners."),
        (5, "Hoge kosten per container."),
    ],
    ("jury.postma", "lectoraat-sensordata-leefomgeving"): [
        (5, "Bewoners merken er in het eerste jaar weinig van."),
        (8, "Zorgvuldig."),
        (7, "Redelijk geprijsd."),
    ],
}

AWARD_MOTIVATION = (
    "Containerwijs laat het grootste effect verwachten op het aantal kilometers en op schone "
    "straten, meet alleen de vulgraad van containers en past binnen het budget. De jury "
    "waardeert ook de voorstellen van Van Dijk en het lectoraat; de analyse van het lectoraat "
    "kan de pilot helpen bij de evaluatie."
)

# What the civil servant adds to the pilot made on award before it can be published (a
# challenge does not say these).
WASTE_PILOT_COMPLETION = {
    "neighbourhood": "Assendorp, Holtenbroek en Stadshagen",
    "alderman": "Wethouder Duurzaamheid en Stadsbeheer",
    "hypothesis": (
        "Als de vuilniswagen alleen volle containers leegt, dan rijden we 25% minder "
        "kilometers en komen er 30% minder meldingen van afval naast containers, gemeten over "
        "een jaar tegen hetzelfde seizoen een jaar eerder."
    ),
    "data_collected": "De vulgraad van containers, gereden kilometers en meldingen van "
                      "bewoners. Geen gegevens over wie afval weggooit.",
    "personal_data": False,
}
WASTE_PILOT_KPI = {
    "name": "Gereden kilometers afvalinzameling", "unit": "km per jaar", "direction": "lower",
    "baseline_value": Decimal("52000"), "baseline_source": "Ritregistratie afvaldienst 2024",
    "target_value": Decimal("39000"),
}


# --- steps -------------------------------------------------------------------------------------


class _Story:
    """Builds one challenge step by step, each step at its own moment on the demo clock."""

    def __init__(self, key, people, organisations, now):
        self.key, self.people, self.organisations, self.now = key, people, organisations, now
        self.challenge: Challenge | None = None
        self.proposals: dict[str, Proposal] = {}
        self.jury: dict[str, object] = {}

    def at(self, days, hour=12, minute=0):
        return demo_clock(_at(self.now, days, hour, minute))

    def refresh(self):
        self.challenge = Challenge.objects.get(pk=self.challenge.pk)

    def publish(self, *, slug, content, criteria, days):
        by = self.people["ambtenaar"]
        with self.at(days, 9, 0):
            challenge = services.challenge_create(by=by, slug=slug, criteria=criteria, **content)
        with self.at(days, 9, 30):
            self.challenge = services.challenge_publish(challenge=challenge, by=by)

    def questions(self):
        for organisation, asker, text, answer, asked, answered in QUESTIONS[self.key]:
            with self.at(asked, 10, 15):
                question = services.question_ask(
                    challenge=self.challenge, by=self.people[asker], text=text,
                    organisation=self.organisations[organisation])
            if answer is not None:
                with self.at(answered, 14, 30):
                    services.question_answer(question=question, by=self.people["ambtenaar"],
                                             answer=answer)

    def follow(self, *local_parts, days):
        with self.at(days, 20, 0):
            for local_part in local_parts:
                services.challenge_follow(challenge=self.challenge, user=self.people[local_part])

    def proposal(self, organisation_slug, *, days, submit_days=None):
        """Start and write the organisation's proposal; attach and submit it when
        `submit_days` is given."""
        organisation = self.organisations[organisation_slug]
        by = self.people[ACTOR[organisation_slug]]
        content = PROPOSALS[(self.key, organisation_slug)]
        with self.at(days, 11, 0):
            proposal = services.proposal_start(challenge=self.challenge,
                                               organisation=organisation, by=by)
            proposal = services.proposal_update(proposal=proposal, by=by, **content)
        if submit_days is not None:
            with self.at(submit_days, 16, 20):
                for label in self.challenge.required_attachments:
                    _attach(proposal, by, label, content)
                proposal = services.proposal_submit(proposal=proposal, by=by)
        self.proposals[organisation_slug] = proposal

    def appoint(self, chair, *members, days):
        with self.at(days, 10, 0):
            for local_part in (chair, *members):
                self.jury[local_part] = services.jury_appoint(
                    challenge=self.challenge, by=self.people["ambtenaar"],
                    user=self.people[local_part], is_chair=local_part == chair)

    def close_and_start_assessment(self, *, days):
        # The beat task closes the challenge one second after the deadline.
        moment = self.challenge.submission_deadline + dt.timedelta(seconds=1)
        with demo_clock(moment):
            services.challenge_close_due(now=moment)
        with self.at(days, 9, 0):
            services.challenge_assessment_start(challenge=self.challenge,
                                                by=self.people["ambtenaar"])
        self.refresh()

    def declare(self, local_part, organisation_slug, *, days, conflict=""):
        with self.at(days, 9, 30):
            services.conflict_declare(jury_member=self.jury[local_part],
                                      proposal=self.proposals[organisation_slug],
                                      has_conflict=bool(conflict), explanation=conflict)

    def score(self, scores: dict, *, days):
        criteria = list(self.challenge.criteria.order_by("position"))
        for step, ((local_part, organisation_slug), rows) in enumerate(scores.items()):
            self.declare(local_part, organisation_slug, days=days)
            with self.at(days, 10, 0 + step):
                for criterion, (value, motivation) in zip(criteria, rows, strict=True):
                    services.score_save(jury_member=self.jury[local_part],
                                        proposal=self.proposals[organisation_slug],
                                        criterion=criterion, score=value,
                                        motivation=motivation)


def _heat(people, organisations, now) -> Challenge:
    """Open: Q&A, an amendment, a submitted proposal and a draft."""
    story = _Story("heat", people, organisations, now)
    content = _heat_content(now)
    story.publish(slug="koel-en-droog-stadshagen", content=content, criteria=HEAT_CRITERIA,
                  days=-20)
    story.follow("luchtpeil.data", days=-19)
    story.questions()
    with story.at(-8, 11, 0):
        services.challenge_amend(
            challenge=story.challenge, by=people["ambtenaar"],
            reason=("Bieders vroegen om meer tijd om de metingen van #SensHagen te bekijken. "
                    "De deadline voor voorstellen schuift een week op."),
            submission_deadline=_at(now, 25, 17),
        )
    story.refresh()
    story.proposal("luchtpeil-zwolle", days=-5)
    story.proposal("lectoraat-sensordata-leefomgeving", days=-6, submit_days=-3)
    return story.challenge


def _routes(people, organisations, now) -> Challenge:
    """In assessment: one declared conflict; the chair still has two proposals to score."""
    story = _Story("routes", people, organisations, now)
    content = {**ROUTES_CONTENT, "opens_at": _at(now, -60, 9),
               "questions_deadline": _at(now, -35, 17),
               "submission_deadline": _at(now, -20, 17),
               "jury_date": _at(now, 5, 10), "award_date": _at(now, 20, 10)}
    story.publish(slug="veilig-naar-school", content=content, criteria=ROUTES_CRITERIA,
                  days=-60)
    story.questions()
    story.proposal("routewijzer", days=-45, submit_days=-22)
    story.proposal("luchtpeil-zwolle", days=-40, submit_days=-21)
    story.proposal("lectoraat-sensordata-leefomgeving", days=-38, submit_days=-21)
    story.appoint("jury", "jury.jansen", "jury.postma", days=-30)
    story.close_and_start_assessment(days=-18)
    story.declare("jury.postma", "luchtpeil-zwolle", days=-16,
                  conflict="Ik heb Luchtpeil vorig jaar betaald geadviseerd over hun sensoren.")
    story.declare("jury", "luchtpeil-zwolle", days=-15)
    story.declare("jury", "lectoraat-sensordata-leefomgeving", days=-15)
    story.score(ROUTES_SCORES, days=-12)
    return story.challenge


def _waste(people, organisations, now) -> Challenge:
    """Awarded: ranking final, letters sent, the pilot published in the register."""
    story = _Story("waste", people, organisations, now)
    content = {**WASTE_CONTENT, "opens_at": _at(now, -150, 9),
               "questions_deadline": _at(now, -120, 17),
               "submission_deadline": _at(now, -100, 17),
               "jury_date": _at(now, -85, 10), "award_date": _at(now, -70, 10)}
    story.publish(slug="slimmer-afval-ophalen", content=content, criteria=WASTE_CRITERIA,
                  days=-150)
    story.questions()
    story.proposal("containerwijs", days=-130, submit_days=-103)
    story.proposal("van-dijk-installatietechniek", days=-125, submit_days=-101)
    story.proposal("lectoraat-sensordata-leefomgeving", days=-128, submit_days=-102)
    story.appoint("jury.jansen", "jury", "jury.postma", days=-110)
    story.close_and_start_assessment(days=-99)
    story.score(WASTE_SCORES, days=-90)
    chair = people["jury.jansen"]
    with story.at(-85, 15, 0):
        services.ranking_finalise(challenge=story.challenge, by=chair)
    with story.at(-70, 10, 0):
        pilot = services.challenge_award(challenge=story.challenge, by=chair,
                                         proposal=story.proposals["containerwijs"],
                                         motivation=AWARD_MOTIVATION)
    _publish_pilot(pilot, people, now)
    return Challenge.objects.get(pk=story.challenge.pk)


def _publish_pilot(pilot, people, now) -> None:
    """The civil servant completes and submits the pilot; a colleague publishes it."""
    from registry import services as registry

    editor, approver = people["ambtenaar"], people["admin"]
    start = pilot.start_date or timezone.localdate(now)
    with demo_clock(_at(now, -68, 11)):
        pilot = registry.pilot_update(
            pilot=pilot, by=editor, **WASTE_PILOT_COMPLETION,
            planned_end_date=start + dt.timedelta(days=365),
            next_review_date=start + dt.timedelta(days=182),
        )
        registry.kpi_add(pilot=pilot, by=editor, baseline_date=start - dt.timedelta(days=1),
                         target_date=start + dt.timedelta(days=365), **WASTE_PILOT_KPI)
        pilot = registry.pilot_submit(pilot=pilot, by=editor)
    with demo_clock(_at(now, -66, 9)):
        pilot = registry.pilot_publish(pilot=pilot, by=approver)
    with demo_clock(_at(now, -60, 9)):
        registry.pilot_status_change(pilot=pilot, by=editor, to_status="preparation")
    with demo_clock(_at(now, -40, 9)):
        registry.pilot_status_change(pilot=pilot, by=editor, to_status="running")


STORIES = {
    "slimmer-afval-ophalen": _waste,
    "veilig-naar-school": _routes,
    "koel-en-droog-stadshagen": _heat,
}


def load() -> str:
    if settings.DIGID_MODE != "mock":
        # The demo's jury members and startups have a published password.
        raise ImproperlyConfigured("Demo challenges are only loaded with DIGID_MODE=mock.")
    organisations = _organisations()
    people = _people()
    now = timezone.now()
    added = 0
    for slug, build in STORIES.items():
        if Challenge.objects.filter(slug=slug).exists():
            continue
        build(people, organisations, now)
        added += 1
    pending = Question.objects.filter(status=Question.Status.PENDING).count()
    jury = ", ".join(f"{local_part}@{DOMAIN}" for local_part, _name in JURY)
    startups = ", ".join(f"{ACTOR[data['slug']]}@{DOMAIN}" for data in ORGANISATIONS)
    return (
        f"{added} challenges added ({Challenge.objects.count()} in total, "
        f"{Proposal.objects.count()} proposals, {pending} questions to answer); "
        f"jury {jury}; startups {startups}"
    )
