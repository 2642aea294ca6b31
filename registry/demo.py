"""Demo registers: the Zoetermeer examples from the source documents (algorithms, pilots).

The audit report names three algorithms already in use: the scan car that replaces the parking
warden, the garbage-truck routes planned from smart-container data, and traffic lights (iVRIs)
that give priority. They are loaded as published records through the services (a civil servant
drafts and submits, a different person publishes: four-eyes). The scan car has an older and a
newer published version, to show the history; one more record waits for approval.

Idempotent: an algorithm whose slug exists already is left alone (published versions are
immutable, so "refreshing" one would mean publishing a new version).
"""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from portal.accounts.models import User
from registry import services
from registry.models import (
    KPI_DEFINITION_FIELDS,
    Algorithm,
    AlgorithmEvent,
    AlgorithmVersion,
    Pilot,
)

ORGANISATION = "Gemeente Zoetermeer"
CONTACT = "algoritmes@zoetermeer.example"
EDITOR_EMAIL = "ambtenaar@demo.stadsmakers.nl"
COUNCIL_EMAIL = "raad@demo.stadsmakers.nl"
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
    pilots = load_pilots(editor=editor, approver=approver)
    follow_demo_pilot()
    return (
        f"{created} algorithms added ({total} in the register, 1 awaiting approval); "
        f"{pilots} pilots added ({Pilot.objects.count()} in the pilot register)"
    )


# --- pilots ----------------------------------------------------------------------------------
#
# The pilots named in the source documents: the self-driving bus on the Dutch Innovation Park,
# the TNO heat-transition data experiment (the one pilot the audit found properly evaluated), the
# Experimenteerhuis (the only social-domain project), Living Lab Scheveningen's smart lampposts,
# and the #SensHagen-style citizen air-quality network (here in Zwolle). Numbers are realistic
# examples, not figures from the documents.

SELF_DRIVING_BUS = {
    "title": "Zelfrijdende bus op het Dutch Innovation Park",
    "summary": (
        "Een kleine elektrische bus zonder chauffeur rijdt tussen station Lansingerland-"
        "Zoetermeer en het Dutch Innovation Park. We testen of dit de bereikbaarheid verbetert "
        "en of mensen de bus vertrouwen."
    ),
    "theme": "Verkeer",
    "start_date": dt.date(2023, 4, 3),
    "planned_end_date": dt.date(2024, 9, 30),
    "neighbourhood": "Dutch Innovation Park, Zoetermeer",
    "latitude": Decimal("52.047300"),
    "longitude": Decimal("4.508900"),
    "department": "Economie",
    "alderman": "Wethouder Economie en Innovatie",
    "problem": (
        "Het Dutch Innovation Park ligt op loopafstand van het station, maar veel mensen "
        "komen toch met de auto. Parkeerplekken zijn schaars en duur."
    ),
    "goal": "Meer bezoekers en werknemers komen met het openbaar vervoer naar het park.",
    "hypothesis": (
        "Als er elk kwartier een zelfrijdende bus rijdt tussen station en park, dan nemen "
        "gemiddeld 150 mensen per werkdag de bus. Dat meten we met een teller in de bus."
    ),
    "intervention": (
        "Eén elektrische bus voor 8 personen rijdt een vaste route van 1,4 km. Er zit altijd een "
        "steward in de bus die kan ingrijpen. De bus krijgt voorrang bij twee slimme "
        "verkeerslichten."
    ),
    "evaluation_design": (
        "Tellingen van reizigers en storingen, vergeleken met de situatie vóór de pilot. Een "
        "enquête onder reizigers en werknemers van het park, halverwege en aan het eind."
    ),
    "partners": (
        "Dutch Innovation Park (initiatiefnemer), vervoerder, leverancier van de bus, "
        "Haagse Hogeschool (onderzoek)."
    ),
    "budget": Decimal("480000.00"),
    "data_collected": (
        "Aantal in- en uitstappers per halte (zonder beelden of namen), storingen, "
        "enquête-antwoorden (anoniem)."
    ),
    "personal_data": False,
    "next_review_date": None,  # set in load_pilots(), relative to today
}
SELF_DRIVING_BUS_KPIS = [
    {"name": "Reizigers per werkdag", "unit": "reizigers", "direction": "higher",
     "definition": "Gemiddeld aantal instappers per werkdag, geteld in de bus.",
     "baseline_value": Decimal("0"), "baseline_date": dt.date(2023, 3, 1),
     "baseline_source": "Geen busverbinding vóór de pilot", "target_value": Decimal("150"),
     "target_date": dt.date(2024, 9, 30)},
    {"name": "Ritten zonder storing", "unit": "%", "direction": "higher",
     "definition": "Deel van de geplande ritten dat zonder ingrijpen van de steward is gereden.",
     "baseline_value": None, "target_value": Decimal("95"), "target_date": dt.date(2024, 9, 30)},
    {"name": "Aandeel werknemers dat met de auto komt", "unit": "%", "direction": "lower",
     "definition": "Uit de enquête onder werknemers van het park.",
     "baseline_value": Decimal("78"), "baseline_date": dt.date(2023, 2, 15),
     "baseline_source": "Enquête werknemers 2023", "target_value": Decimal("70"),
     "target_date": dt.date(2024, 9, 30)},
]
SELF_DRIVING_BUS_RESULTS = [
    (Decimal("64"), "not_met", "Vooral in de spits gebruikt; daarbuiten vaak leeg."),
    (Decimal("96.5"), "met", "Storingen vooral bij zware regen en vallende bladeren."),
    (Decimal("74"), "partly", "Daling van 4 procentpunt; doel was 8."),
]
SELF_DRIVING_BUS_FINAL = {
    "kind": "final",
    "evaluated_on": dt.date(2024, 11, 15),
    "evaluator": "Haagse Hogeschool, lectoraat Mobiliteit",
    "method": "Tellingen in de bus, storingslog van de leverancier, twee enquêtes (n=412 en "
              "n=388) en vijf interviews met werknemers.",
    "council_summary": (
        "De zelfrijdende bus reed anderhalf jaar tussen het station en het Dutch Innovation "
        "Park. De techniek werkte goed: bijna alle ritten gingen zonder storing. Reizigers "
        "voelden zich veilig.\n\n"
        "Maar er reden minder mensen mee dan we hoopten: 64 per werkdag in plaats van 150. "
        "De bus is klein en rijdt langzaam. Veel mensen lopen liever de 15 minuten. Het aandeel "
        "werknemers dat met de auto komt, daalde iets.\n\n"
        "Het college stelt voor om de bus niet uit te breiden, maar de pilot aan te passen: "
        "alleen in de spits rijden, en samen met werkgevers op het park parkeren duurder "
        "maken. Over een jaar kijken we opnieuw."
    ),
    "side_effects": "Enkele klachten van fietsers over de bus op het fietspad bij de kruising.",
    "participant_feedback": "Reizigers geven de bus gemiddeld een 7,6. Wensen: sneller en "
                            "vaker in de spits.",
    "cost_benefit": "€ 480.000 uitgegeven, waarvan € 200.000 subsidie van de provincie. De "
                    "kosten per reiziger (€ 18) zijn veel hoger dan bij een gewone bus.",
    "lessons_learned": (
        "Techniek alleen lost een bereikbaarheidsprobleem niet op. Betrek werkgevers vanaf het "
        "begin, en meet ook waarom mensen de bus níet nemen."
    ),
    "recommendation": "adjust",
    "decision": "adjust",
    "decision_by": "College van burgemeester en wethouders",
    "decision_date": dt.date(2025, 1, 21),
    "decision_link": "https://raad.zoetermeer.example/raadsinformatiebrieven/2025-007",
    "follow_up": "Aangepaste pilot vanaf april 2025, alleen in de spits; nieuwe evaluatie "
                 "in september 2026. Eigenaar: team Economie.",
}

HEAT_TRANSITION = {
    "title": "Data-experiment warmtetransitie met TNO",
    "summary": (
        "Samen met TNO koppelden we gegevens over woningen, energiegebruik en eigenaren. Zo "
        "zien we per buurt welke woningen het eerst van het aardgas af kunnen."
    ),
    "theme": "Wonen",
    "start_date": dt.date(2021, 1, 11),
    "planned_end_date": dt.date(2021, 12, 17),
    "neighbourhood": "Hele stad",
    "department": "Duurzaamheid",
    "alderman": "Wethouder Duurzaamheid en Wonen",
    "problem": (
        "Voor de Transitievisie Warmte hebben we per buurt informatie nodig. Die ligt verspreid "
        "over de gemeente, woningcorporaties, VvE's, netbeheerder en bewonersinitiatieven."
    ),
    "goal": "Leren welke data we nodig hebben en hoe we die veilig en eerlijk kunnen delen.",
    "hypothesis": (
        "Als we bestaande gegevens van partners koppelen, dan kunnen we voor 80% van de buurten "
        "een betrouwbare volgorde van aardgasvrij maken bepalen, zonder nieuwe metingen."
    ),
    "intervention": (
        "TNO bouwde een tijdelijke, afgeschermde omgeving waarin gegevens werden gekoppeld. "
        "Met De Ethische Data Assistent (DEDA) bespraken we vooraf de risico's."
    ),
    "evaluation_design": "Eindevaluatie door TNO: dekking en kwaliteit van de data per buurt, "
                         "en interviews met alle partners.",
    "partners": "TNO (onderzoek), woningcorporaties, netbeheerder, lokale energiecoöperatie.",
    "budget": Decimal("165000.00"),
    "data_collected": "Bouwjaar, energielabel en eigendom per adres; gasverbruik per postcode-6.",
    "personal_data": True,
    "legal_basis": "Algemeen belang (art. 6 lid 1e AVG), taak uit de Omgevingswet.",
    "dpia_link": "https://www.zoetermeer.example/privacy/dpia-warmtetransitie.pdf",
    "retention": "Gekoppelde gegevens zijn na afloop verwijderd; alleen buurtcijfers bewaard.",
    "next_review_date": None,
}
HEAT_TRANSITION_KPIS = [
    {"name": "Buurten met een betrouwbare volgorde", "unit": "%", "direction": "higher",
     "baseline_value": Decimal("20"), "baseline_date": dt.date(2020, 12, 1),
     "baseline_source": "Inventarisatie team Duurzaamheid", "target_value": Decimal("80"),
     "target_date": dt.date(2021, 12, 17)},
    {"name": "Partners die data deelden", "unit": "partners", "direction": "higher",
     "baseline_value": Decimal("1"), "target_value": Decimal("5"),
     "target_date": dt.date(2021, 12, 17)},
]
HEAT_TRANSITION_RESULTS = [
    (Decimal("85"), "met", ""),
    (Decimal("4"), "partly", "De netbeheerder leverde alleen cijfers per postcode-4."),
]
HEAT_TRANSITION_FINAL = {
    "kind": "final",
    "evaluated_on": dt.date(2022, 2, 28),
    "evaluator": "TNO",
    "method": "Analyse van datadekking en -kwaliteit per buurt; interviews met zes partners.",
    "council_summary": (
        "Het experiment liet zien dat we met bestaande gegevens voor bijna alle buurten kunnen "
        "bepalen welke woningen het eerst van het aardgas af kunnen. Privacy bleef goed "
        "beschermd, omdat we vooraf met DEDA de risico's bespraken. Het delen van data met "
        "partners kostte veel tijd: afspraken moeten we vooraf vastleggen. Het college besloot "
        "de aanpak voort te zetten als vaste werkwijze voor de warmtetransitie."
    ),
    "cost_benefit": "Goedkoper dan nieuwe metingen (geschat € 400.000).",
    "lessons_learned": "Leg afspraken over datadelen vooraf vast. DEDA werkt goed als start.",
    "recommendation": "continue",
    "decision": "continue",
    "decision_by": "College van burgemeester en wethouders",
    "decision_date": dt.date(2022, 4, 12),
    "decision_link": "https://raad.zoetermeer.example/raadsinformatiebrieven/2022-031",
    "follow_up": "Werkwijze opgenomen in de Transitievisie Warmte; jaarlijkse update.",
}

EXPERIMENT_HOUSE = {
    "title": "Experimenteerhuis: slim wonen met zorg",
    "summary": (
        "In een gewone woning testen ouderen en mensen met een beperking slimme hulpmiddelen, "
        "zoals sensoren die een val melden. Zo leren we wat echt helpt om langer thuis te wonen."
    ),
    "theme": "Zorg en gezondheid",
    "start_date": dt.date(2022, 9, 1),
    "planned_end_date": dt.date(2025, 8, 31),
    "neighbourhood": "Meerzicht, Zoetermeer",
    "department": "Maatschappelijke Ontwikkeling",
    "alderman": "Wethouder Zorg en Welzijn",
    "problem": "Steeds meer mensen willen langer thuis wonen, maar er zijn te weinig "
               "zorgverleners.",
    "goal": "Weten welke technologie mensen echt helpt, en welke niet.",
    "hypothesis": (
        "Als bewoners hulpmiddelen eerst een week in het Experimenteerhuis uitproberen, dan "
        "gebruiken ze die thuis vaker en langer (minstens 70% na een half jaar)."
    ),
    "intervention": "Een ingerichte woning met 20 hulpmiddelen; proefweken met begeleiding.",
    "evaluation_design": "Vragenlijst bij start, na 1 en na 6 maanden; vergelijking met "
                         "mensen die de hulpmiddelen zonder proefweek kregen.",
    "partners": "Zorgorganisatie, woningcorporatie, MBO Rijnland (studenten zorg en techniek).",
    "budget": Decimal("210000.00"),
    "data_collected": "Gebruik van hulpmiddelen, antwoorden op vragenlijsten, leeftijd.",
    "personal_data": True,
    "legal_basis": "Toestemming van de deelnemer (art. 6 lid 1a en art. 9 lid 2a AVG).",
    "dpia_link": "https://www.zoetermeer.example/privacy/dpia-experimenteerhuis.pdf",
    "retention": "Tot één jaar na afloop van de pilot.",
    # In the past on purpose: the evaluation is overdue.
    "next_review_date": dt.date(2025, 3, 1),
}
EXPERIMENT_HOUSE_KPIS = [
    {"name": "Hulpmiddel na 6 maanden nog in gebruik", "unit": "%", "direction": "higher",
     "baseline_value": Decimal("45"), "baseline_source": "Landelijk onderzoek Vilans",
     "target_value": Decimal("70"), "target_date": dt.date(2025, 8, 31)},
    {"name": "Deelnemers", "unit": "personen", "direction": "higher",
     "baseline_value": Decimal("0"), "target_value": Decimal("120")},
]

LAMPPOSTS = {
    "title": "Living Lab Scheveningen: slimme lantaarnpalen",
    "summary": (
        "Lantaarnpalen op de boulevard krijgen een kastje met plek voor sensoren en "
        "internet. Bedrijven, kennisinstellingen en bewoners testen er samen nieuwe diensten, "
        "zoals drukte meten en licht dat feller wordt als er iemand loopt."
    ),
    "theme": "Ruimte en infrastructuur",
    "start_date": dt.date(2019, 6, 1),
    "planned_end_date": dt.date(2027, 6, 1),
    "neighbourhood": "Boulevard Scheveningen, Den Haag",
    "latitude": Decimal("52.111900"),
    "longitude": Decimal("4.281600"),
    "department": "Stadsbeheer",
    "alderman": "Wethouder Buitenruimte",
    "problem": "Iedere nieuwe sensor krijgt nu een eigen paal of kast. Dat is duur en rommelig.",
    "goal": "Eén open voorziening waar veel partijen sensoren kunnen plaatsen.",
    "hypothesis": (
        "Als lantaarnpalen standaard plekken (slots) voor sensoren hebben, dan plaatsen "
        "minstens 10 partijen daar een toepassing, tegen lagere kosten per toepassing."
    ),
    "intervention": "Smart City Hubs in 500 tot 800 lantaarnpalen, met stroom en internet.",
    "evaluation_design": "Tussenevaluatie na 3 jaar: aantal toepassingen, kosten, "
                         "en ervaringen van partners en bewoners.",
    "partners": "Bedrijven met sensortoepassingen, TU Delft, Haagse Hogeschool, bewoners.",
    "budget": Decimal("1250000.00"),
    "data_collected": "Drukte (tellingen, geen beelden), geluid in decibel, lichtniveau.",
    "personal_data": False,
    "next_review_date": None,
}
LAMPPOSTS_KPIS = [
    {"name": "Partijen met een toepassing", "unit": "partijen", "direction": "higher",
     "baseline_value": Decimal("0"), "target_value": Decimal("10"),
     "target_date": dt.date(2026, 6, 1)},
    {"name": "Energiegebruik verlichting", "unit": "MWh per jaar", "direction": "lower",
     "baseline_value": Decimal("410"), "baseline_date": dt.date(2018, 12, 31),
     "baseline_source": "Energienota 2018", "target_value": Decimal("300")},
]
LAMPPOSTS_MID_TERM = {
    "kind": "mid_term",
    "evaluated_on": dt.date(2022, 10, 1),
    "evaluator": "Intern: team Slimme Stad met TU Delft",
    "method": "Overzicht van toepassingen en kosten; gesprekken met 9 partners en een "
              "bewonersavond.",
    "council_summary": (
        "Na drie jaar gebruiken zes partijen de slimme lantaarnpalen. Het licht dat feller "
        "wordt als er iemand loopt, bespaart veel energie. Bewoners willen duidelijker weten "
        "wat er gemeten wordt. We zetten de pilot voort en plaatsen bordjes met uitleg."
    ),
    "participant_feedback": "Bewoners vragen om een kaart van alle sensoren.",
    "lessons_learned": "Maak vooraf zichtbaar wat er gemeten wordt en door wie.",
    "recommendation": "continue",
}
LAMPPOSTS_MID_TERM_RESULTS = [
    (Decimal("6"), "partly", "Op schema voor 10 in 2026."),
    (Decimal("318"), "partly", "Dimmen bij weinig verkeer werkt goed."),
]

SENSHAGEN = {
    "title": "#SensHagen Zwolle: bewoners meten luchtkwaliteit",
    "summary": (
        "Bewoners hangen een kleine sensor aan hun huis die fijnstof meet. De metingen zijn "
        "open voor iedereen. Zo weten we beter hoe schoon de lucht in elke wijk is."
    ),
    "theme": "Natuur en milieu",
    "start_date": dt.date(2025, 5, 1),
    "planned_end_date": dt.date(2027, 4, 30),
    "neighbourhood": "Zwolle, alle wijken",
    "department": "Milieu",
    "alderman": "Wethouder Klimaat en Milieu",
    "problem": "Er zijn maar twee officiële meetstations. Bewoners willen weten hoe het in hun "
               "eigen straat zit.",
    "goal": "Een fijnmazig beeld van fijnstof, gemaakt samen met bewoners.",
    "hypothesis": (
        "Als 200 bewoners een sensor ophangen, dan kunnen we per wijk verschillen in fijnstof "
        "zien die de officiële stations missen, met een afwijking van minder dan 20%."
    ),
    "intervention": "Sensorkits (Sensor.Community), een bouwavond per wijk, een open kaart.",
    "evaluation_design": "Vergelijking met de officiële meetstations van het RIVM; enquête onder "
                         "deelnemers.",
    "partners": "RIVM (Samen Meten), bibliotheek, bewonersgroepen.",
    "budget": Decimal("38000.00"),
    "data_collected": "Fijnstof (PM2.5, PM10), temperatuur, luchtvochtigheid; de plek van de "
                      "sensor afgerond op 100 meter.",
    "personal_data": True,
    "legal_basis": "Toestemming van de deelnemer (art. 6 lid 1a AVG).",
    "dpia_link": "https://www.zwolle.example/privacy/dpia-senshagen.pdf",
    "retention": "Metingen blijven open data; het adres van de deelnemer wordt gewist bij "
                 "opzeggen.",
    "next_review_date": None,
}
SENSHAGEN_KPIS = [
    {"name": "Actieve sensoren", "unit": "sensoren", "direction": "higher",
     "baseline_value": Decimal("12"), "baseline_date": dt.date(2024, 4, 1),
     "baseline_source": "Sensor.Community-kaart", "target_value": Decimal("200")},
    {"name": "Afwijking ten opzichte van RIVM-station", "unit": "%", "direction": "lower",
     "target_value": Decimal("20")},
]

# slug -> (content, KPIs, status walk, evaluations [(content, results)], algorithm slugs)
PILOTS = {
    "zelfrijdende-bus-dutch-innovation-park": (
        SELF_DRIVING_BUS, SELF_DRIVING_BUS_KPIS, ["preparation", "running"],
        [(SELF_DRIVING_BUS_FINAL, SELF_DRIVING_BUS_RESULTS)], ["ivri-verkeerslichten-voorrang"],
    ),
    "tno-data-experiment-warmtetransitie": (
        HEAT_TRANSITION, HEAT_TRANSITION_KPIS, ["preparation", "running", "evaluating"],
        [(HEAT_TRANSITION_FINAL, HEAT_TRANSITION_RESULTS)], [],
    ),
    "experimenteerhuis": (
        EXPERIMENT_HOUSE, EXPERIMENT_HOUSE_KPIS, ["preparation", "running"], [], [],
    ),
    "living-lab-scheveningen-lantaarnpalen": (
        LAMPPOSTS, LAMPPOSTS_KPIS, ["preparation", "running"],
        [(LAMPPOSTS_MID_TERM, LAMPPOSTS_MID_TERM_RESULTS)], [],
    ),
    "senshagen-zwolle-luchtkwaliteit": (
        SENSHAGEN, SENSHAGEN_KPIS, ["preparation", "running"], [], [],
    ),
}


# Changes to published pilots, as new versions (four-eyes): slug -> (content changes, KPI
# definition changes {position: fields}, publish?). The bus pilot was adjusted after its final
# evaluation (version 2, published: see its history); a change to the lampposts awaits approval
# (log in as the admin to publish it).
PILOT_CHANGES = {
    "zelfrijdende-bus-dutch-innovation-park": ({
        "planned_end_date": dt.date(2026, 9, 30),
        "hypothesis": (
            "Als de zelfrijdende bus alleen in de spits rijdt en parkeren op het park duurder "
            "wordt, dan nemen gemiddeld 100 mensen per werkdag de bus."
        ),
        "intervention": (
            "Eén elektrische bus voor 8 personen rijdt een vaste route van 1,4 km, alleen in de "
            "ochtend- en avondspits. Er zit altijd een steward in de bus. Werkgevers op het park "
            "maken parkeren duurder."
        ),
        "partners": (
            "Dutch Innovation Park (initiatiefnemer), vervoerder, leverancier van de bus, "
            "Haagse Hogeschool (onderzoek), werkgeversvereniging van het park."
        ),
    }, {1: {"target_value": Decimal("100"), "target_date": dt.date(2026, 9, 30)}}, True),
    "living-lab-scheveningen-lantaarnpalen": ({
        "partners": (
            "Living Lab Scheveningen, netbeheerder, leverancier van de sensoren, "
            "ondernemersvereniging Scheveningen Bad."
        ),
    }, {}, False),
}


def _change_pilot(pilot, *, editor, approver, changes, kpi_changes, publish) -> None:
    version = services.pilot_new_draft(pilot=pilot, by=editor, **changes)
    definitions = version.kpi_objects()
    for position, fields in kpi_changes.items():
        kpi = definitions[position - 1]
        current = {field: getattr(kpi, field) for field in KPI_DEFINITION_FIELDS}
        services.pilot_version_kpi_save(version=version, by=editor, position=position,
                                        **{**current, **fields})
    services.pilot_version_submit(version=version, by=editor)
    if publish:
        services.pilot_version_publish(version=version, by=approver)


def load_pilots(*, editor, approver) -> int:
    """The demo pilots, through the services (four-eyes). A pilot whose slug exists is left."""
    created = 0
    for slug, (content, kpis, walk, evaluations, algorithm_slugs) in PILOTS.items():
        if Pilot.objects.filter(slug=slug).exists():
            continue
        algorithms = list(Algorithm.objects.filter(slug__in=algorithm_slugs))
        if content["next_review_date"] is None:  # in the future, whenever the demo is loaded
            content = {**content, "next_review_date": timezone.localdate() + dt.timedelta(
                days=120 + 30 * created)}
        pilot = services.pilot_create(by=editor, slug=slug, algorithms=algorithms, **content)
        kpi_rows = [services.kpi_add(pilot=pilot, by=editor, **kpi) for kpi in kpis]
        services.pilot_submit(pilot=pilot, by=editor)
        services.pilot_publish(pilot=pilot, by=approver)
        for status in walk:
            services.pilot_status_change(pilot=pilot, by=editor, to_status=status)
        for evaluation_content, results in evaluations:
            evaluation = services.evaluation_record(
                pilot=pilot, by=editor, **evaluation_content,
                kpi_results={
                    kpi.pk: {"value": value, "assessment": assessment, "note": note}
                    for kpi, (value, assessment, note) in zip(kpi_rows, results, strict=True)
                },
            )
            services.evaluation_publish(evaluation=evaluation, by=approver)
        if slug in PILOT_CHANGES:
            changes, kpi_changes, publish = PILOT_CHANGES[slug]
            _change_pilot(pilot, editor=editor, approver=approver, changes=changes,
                          kpi_changes=kpi_changes, publish=publish)
        created += 1
    return created


def follow_demo_pilot() -> None:
    """The demo council member follows the self-driving bus pilot (idempotent)."""
    council = User.objects.filter(email=COUNCIL_EMAIL).first()
    pilot = Pilot.objects.filter(slug="zelfrijdende-bus-dutch-innovation-park").first()
    if council is not None and pilot is not None and pilot.is_public:
        services.pilot_follow(user=council, pilot=pilot)
