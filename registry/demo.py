"""Demo algorithm register: the Zoetermeer examples from the source documents.

The audit report names three algorithms already in use: the scan car that replaces the parking
warden, the garbage-truck routes planned from smart-container data, and traffic lights (iVRIs)
that give priority. They are loaded as published records through the services (a civil servant
drafts and submits, a different person publishes: four-eyes). The scan car has an older and a
newer published version, to show the history; one more record waits for approval.

Idempotent: an algorithm whose slug exists already is left alone (published versions are
immutable, so "refreshing" one would mean publishing a new version).
"""

import datetime as dt

from portal.accounts.models import User
from registry import services
from registry.models import Algorithm, AlgorithmEvent, AlgorithmVersion

ORGANISATION = "Gemeente Zoetermeer"
CONTACT = "algoritmes@zoetermeer.example"
EDITOR_EMAIL = "ambtenaar@demo.stadsmakers.nl"
APPROVER_EMAIL = "admin@demo.stadsmakers.nl"

SCAN_CAR_V1 = {
    "name": "Parkeercontrole met een scanauto",
    "description_short": (
        "Een auto met camera's rijdt door betaald-parkerengebieden en leest kentekens. Het "
        "systeem kijkt of er voor dat kenteken betaald is of een vergunning is. Zo niet, dan "
        "controleert een handhaver de situatie voordat er een naheffing komt."
    ),
    "organization": ORGANISATION,
    "category": ["Verkeer", "Openbare orde en veiligheid"],
    "status": "In gebruik",
    "begin_date": "2019-04",
    "contact_email": CONTACT,
    "website": "https://www.zoetermeer.example/parkeren/scanauto",
    "publication_category": "Impactvolle algoritmes",
    "goal": (
        "De gemeente wil dat parkeerplekken in het centrum beschikbaar blijven voor bewoners "
        "en bezoekers. Daarom controleren we of mensen betalen voor parkeren. De scanauto kan "
        "veel meer straten controleren dan een handhaver te voet.\n"
        "U komt ermee in aanraking als u parkeert in een gebied waar u moet betalen."
    ),
    "proportionality": (
        "Voordeel: eerlijke en snelle controle, minder kosten. Nadeel: de auto legt kentekens "
        "vast van alle geparkeerde auto's. Daarom bewaren we kentekens van mensen die wel "
        "betaald hebben niet langer dan nodig (binnen 48 uur verwijderd). Controle te voet "
        "alleen was te duur en minder gelijk voor iedereen."
    ),
    "human_intervention": (
        "De scanauto beslist niets zelf. Als er geen betaling of vergunning gevonden wordt, "
        "bekijkt een handhaver de foto's en de situatie. Alleen een handhaver kan een "
        "naheffingsaanslag opleggen."
    ),
    "risks": (
        "Risico: een kenteken wordt verkeerd gelezen. Een handhaver controleert daarom elke "
        "mogelijke overtreding. Risico: mensen met een gehandicaptenparkeerkaart worden ten "
        "onrechte gezien als overtreder. De handhaver kijkt daarom ook naar de kaart achter "
        "de voorruit."
    ),
    "lawful_basis": (
        "De gemeente mag parkeerbelasting heffen en controleren. Dat staat in de "
        "Gemeentewet en de parkeerverordening van de gemeente."
    ),
    "lawful_basis_grouping": [
        {"title": "Gemeentewet, artikel 225", "link": "https://wetten.overheid.nl/BWBR0005416"},
    ],
    "impacttoetsen_grouping": [
        {"title": "Data Protection Impact Assessment (DPIA)",
         "link": "https://www.zoetermeer.example/privacy/dpia-scanauto.pdf"},
    ],
    "source_data": (
        "Kentekens en foto's van geparkeerde auto's, de plaats en tijd, en de "
        "parkeerrechten uit het Nationaal Parkeerregister. Geen namen of adressen."
    ),
    "methods_and_models": (
        "Camera's lezen kentekens met kentekenherkenning (ANPR). Het systeem vergelijkt het "
        "kenteken met de parkeerrechten. Het algoritme is niet zelflerend: het volgt vaste "
        "regels."
    ),
    "provider": "Leverancier scanvoertuigen (Europese aanbesteding 2018)",
    "department": "Parkeren en handhaving",
    "accountable_role": "Teamleider Parkeren",
    "objection_procedure": (
        "U kunt binnen zes weken bezwaar maken tegen een naheffingsaanslag, online of per brief."
    ),
    "monitoring": "Elk kwartaal controleren we hoe vaak een kenteken verkeerd gelezen werd.",
    "tags": "parkeren, naheffing, kenteken, ANPR",
}

SCAN_CAR_V2_CHANGES = {
    "description_short": (
        "Een auto met camera's rijdt door betaald-parkerengebieden en leest kentekens. Het "
        "systeem kijkt of er voor dat kenteken betaald is of een vergunning is. Zo niet, dan "
        "controleert een handhaver de situatie. Sinds 2025 rijdt de auto ook in Rokkeveen."
    ),
    "risks": SCAN_CAR_V1["risks"] + (
        "\nSinds 2025 meten we ook hoe vaak een bezwaar wordt toegekend. Dat was in 2024 "
        "1,2 procent van de naheffingen."
    ),
    "impacttoetsen_grouping": SCAN_CAR_V1["impacttoetsen_grouping"] + [
        {"title": "Impact Assessment Mensenrechten en Algoritmes (IAMA)",
         "link": "https://www.zoetermeer.example/privacy/iama-scanauto.pdf"},
    ],
    "next_review_date": dt.date(2026, 9, 1),
}

WASTE_ROUTES = {
    "name": "Ophaalroutes plannen met slimme containers",
    "description_short": (
        "Ondergrondse containers meten hoe vol ze zijn. Een computerprogramma gebruikt die "
        "metingen om elke dag de route van de vuilniswagen te plannen. Zo legen we volle "
        "containers op tijd en rijden we niet langs lege."
    ),
    "organization": ORGANISATION,
    "category": ["Natuur en milieu", "Organisatie en bedrijfsvoering"],
    "status": "In gebruik",
    "begin_date": "2021-09",
    "contact_email": "https://www.zoetermeer.example/contact",
    "publication_category": "Overige algoritmes",
    "goal": (
        "Minder kilometers met de vuilniswagen, minder uitstoot en minder volle containers "
        "met afval ernaast. Bewoners merken het doordat hun container op tijd geleegd wordt."
    ),
    "proportionality": (
        "De sensoren meten alleen hoe vol een container is, niet wie er afval in gooit. Het "
        "voordeel is minder rijden en een schonere straat. Een vaste route elke week was het "
        "alternatief; die leidde tot volle en lege containers tegelijk."
    ),
    "human_intervention": (
        "De planner van de afvaldienst bekijkt elke ochtend de voorgestelde route en kan die "
        "aanpassen, bijvoorbeeld bij wegwerkzaamheden of na een melding van een bewoner."
    ),
    "risks": (
        "Als een sensor kapot is, ziet het systeem een container als leeg. Daarom geeft het "
        "een waarschuwing als een sensor twee dagen niets meldt, en legen we die container "
        "volgens een vast schema."
    ),
    "impacttoetsen_grouping": [{"title": "Pre-scan DPIA", "link": ""}],
    "impacttoetsen": (
        "Uit de pre-scan bleek dat er geen persoonsgegevens worden verwerkt. Een volledige "
        "DPIA was daarom niet nodig."
    ),
    "source_data": (
        "Vulgraad per container (in procenten), locatie van de container, tijdstip van "
        "legen. Geen persoonsgegevens."
    ),
    "methods_and_models": (
        "Een routeplanner berekent de kortste route langs alle containers die voller zijn dan "
        "70 procent of die morgen vol zullen zijn. De voorspelling gebruikt het gemiddelde "
        "van de afgelopen weken. Het algoritme is niet zelflerend."
    ),
    "provider": "Leverancier afvalinzamelingssoftware",
    "department": "Stadsbeheer, team Afval",
    "accountable_role": "Manager Stadsbeheer",
    "monitoring": "Elke maand vergelijken we het aantal gereden kilometers en meldingen.",
    "tags": "afval, container, vuilniswagen, route",
}

TRAFFIC_LIGHTS = {
    "name": "Voorrang geven bij verkeerslichten (iVRI)",
    "description_short": (
        "Slimme verkeerslichten (iVRI's) krijgen informatie van bussen, hulpdiensten en "
        "fietsers met een app. Het verkeerslicht springt dan eerder op groen voor hen. Zo "
        "komen bus en ambulance sneller door de stad."
    ),
    "organization": ORGANISATION,
    "category": ["Verkeer", "Ruimte en infrastructuur"],
    "status": "In gebruik",
    "begin_date": "2020-06",
    "contact_email": CONTACT,
    "publication_category": "Impactvolle algoritmes",
    "goal": (
        "Hulpdiensten en openbaar vervoer sneller en veiliger door de stad laten rijden, en "
        "fietsers minder laten wachten. Iedereen die bij een kruispunt met een iVRI staat, "
        "merkt dit."
    ),
    "proportionality": (
        "Voorrang voor de één betekent soms langer wachten voor de ander. We beperken dat: "
        "een auto wacht nooit langer dan twee minuten. Vaste tijden voor het verkeerslicht "
        "waren het alternatief, maar die geven hulpdiensten geen voorrang."
    ),
    "human_intervention": (
        "Het verkeerslicht beslist automatisch, zonder mens. Verkeerskundigen stellen de "
        "regels in en kijken elke week naar de wachttijden."
    ),
    "risks": (
        "Een storing kan tot lange wachttijden leiden. Het verkeerslicht valt dan terug op "
        "een vast programma. Locatiegegevens van voertuigen worden direct na gebruik "
        "verwijderd."
    ),
    "impacttoetsen_grouping": [
        {"title": "Data Protection Impact Assessment (DPIA)",
         "link": "https://www.zoetermeer.example/privacy/dpia-ivri.pdf"},
    ],
    "source_data": (
        "Positie, snelheid en soort voertuig (bus, hulpdienst, fiets via een app), "
        "anoniem doorgegeven via het landelijke systeem Talking Traffic."
    ),
    "source_data_grouping": [
        {"title": "Talking Traffic", "link": "https://www.talking-traffic.com"},
    ],
    "methods_and_models": (
        "Het verkeerslicht rekent elke seconde uit welke richting groen krijgt, met vaste "
        "regels en prioriteiten. Het algoritme is niet zelflerend."
    ),
    "provider": "Leverancier verkeersregelinstallaties",
    "department": "Verkeer en mobiliteit",
    "accountable_role": "Teamleider Verkeersmanagement",
    "tags": "verkeerslicht, iVRI, bus, ambulance, fiets",
}

# Waits for approval in the demo: submitted by the civil servant, not yet published.
BENCH_SENSORS = {
    "name": "Onderhoud van bankjes voorspellen met meldingen",
    "description_short": (
        "Een rekenmodel voorspelt met meldingen van bewoners welke bankjes in parken binnenkort "
        "onderhoud nodig hebben. Zo kan de buitendienst eerder langsgaan."
    ),
    "organization": ORGANISATION,
    "category": ["Ruimte en infrastructuur"],
    "status": "In ontwikkeling",
    "begin_date": "2026-01",
    "contact_email": CONTACT,
    "publication_category": "Overige algoritmes",
    "methods_and_models": "Een eenvoudig rekenmodel op basis van eerdere meldingen; niet "
                          "zelflerend.",
    "provider": "Intern ontwikkeld",
    "department": "Stadsbeheer",
}


def _publish(algorithm, *, editor, approver, published_at):
    version = algorithm.versions.get(state=AlgorithmVersion.State.DRAFT)
    services.algorithm_version_submit(version=version, by=editor)
    version = services.algorithm_version_publish(version=version, by=approver)
    # Demo history: put the publication at a realistic moment in the past.
    AlgorithmVersion.objects.filter(pk=version.pk).update(
        published_at=published_at, submitted_at=published_at - dt.timedelta(days=2),
        created_at=published_at - dt.timedelta(days=10),
        updated_at=published_at - dt.timedelta(days=2),
    )
    for event in AlgorithmEvent.objects.filter(version=version):
        offset = {"create": 10, "submit": 2}.get(event.action, 0)
        AlgorithmEvent.objects.filter(pk=event.pk).update(
            at=published_at - dt.timedelta(days=offset)
        )
    return version


def _at(year, month, day):
    return dt.datetime(year, month, day, 9, 0, tzinfo=dt.UTC)


def load() -> str:
    editor = User.objects.get(email=EDITOR_EMAIL)
    approver = User.objects.get(email=APPROVER_EMAIL)
    created = 0

    if not Algorithm.objects.filter(slug="scanauto-parkeercontrole").exists():
        algorithm = services.algorithm_create(
            by=editor, slug="scanauto-parkeercontrole", **SCAN_CAR_V1
        )
        _publish(algorithm, editor=editor, approver=approver, published_at=_at(2023, 3, 14))
        services.algorithm_new_draft(algorithm=algorithm, by=editor, **SCAN_CAR_V2_CHANGES)
        _publish(algorithm, editor=editor, approver=approver, published_at=_at(2025, 6, 2))
        created += 1

    for slug, content, published_at in [
        ("ophaalroutes-slimme-containers", WASTE_ROUTES, _at(2024, 2, 20)),
        ("ivri-verkeerslichten-voorrang", TRAFFIC_LIGHTS, _at(2024, 11, 5)),
    ]:
        if Algorithm.objects.filter(slug=slug).exists():
            continue
        algorithm = services.algorithm_create(by=editor, slug=slug, **content)
        _publish(algorithm, editor=editor, approver=approver, published_at=published_at)
        created += 1

    if not Algorithm.objects.filter(slug="onderhoud-bankjes-voorspellen").exists():
        algorithm = services.algorithm_create(
            by=editor, slug="onderhoud-bankjes-voorspellen", **BENCH_SENSORS
        )
        services.algorithm_version_submit(
            version=algorithm.versions.get(), by=editor
        )
        created += 1

    total = Algorithm.objects.count()
    return f"{created} algorithms added ({total} in the register, 1 awaiting approval)"
