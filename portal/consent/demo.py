"""Demo purposes with realistic Dutch (B1) consent texts.

Idempotent: purposes by code (update_or_create); a text version is only published when the demo
text differs from the purpose's current text. The owning apps (sensors, ideas) register their
withdrawal effects when they are built.
"""

from portal.consent import selectors, services
from portal.consent.models import Purpose

PURPOSES = [
    {
        "code": "sensor-project-participation",
        "owner_app": "sensors",
        "title": "Meedoen aan een meetproject met een sensor",
        "description": (
            "Je hangt een sensor voor luchtkwaliteit aan je huis en doet mee aan een meetproject "
            "van de gemeente en bewoners. Daarvoor hebben we je toestemming nodig."
        ),
        "what_is_processed": (
            "De metingen van je sensor (fijnstof, temperatuur, luchtvochtigheid), de grove "
            "locatie van je sensor (op 100 meter nauwkeurig) en je account bij Stadsmakers."
        ),
        "retention": (
            "Zolang je meedoet. Trek je je toestemming in, dan halen we je sensor van de kaart en "
            "slaan we geen nieuwe metingen meer op. Metingen die al open data zijn, blijven "
            "zonder jouw naam bestaan."
        ),
        "legal_basis": "Toestemming (AVG artikel 6 lid 1a)",
        "text": (
            "Je meetgegevens en de grove locatie van je sensor worden openbaar getoond op de kaart "
            "van Stadsmakers en gedeeld als open data. Iedereen kan ze zien en gebruiken.\n\n"
            "Je naam en je adres tonen we nooit. We laten de plek van je sensor zien op ongeveer "
            "100 meter nauwkeurig, zodat niemand precies kan zien waar je woont.\n\n"
            "De gemeente gebruikt de metingen om te leren waar de lucht schoon is en waar niet. "
            "Onderzoekers en bewoners mogen ze ook gebruiken.\n\n"
            "Meedoen is vrijwillig. Je kunt altijd stoppen. Dan trek je je toestemming in op de "
            "pagina Mijn toestemmingen."
        ),
    },
    {
        "code": "idea-author-name",
        "owner_app": "ideas",
        "title": "Je naam tonen bij je ideeën",
        "description": (
            "Als je een idee voor de stad deelt, kunnen we je naam erbij zetten. Dat is je eigen "
            "keuze: zonder toestemming staat er 'anonieme inwoner'."
        ),
        "what_is_processed": "De naam die je op Stadsmakers gebruikt, bij je ideeën en reacties.",
        "retention": (
            "Zolang je idee online staat, of tot je je toestemming intrekt. Daarna staat er "
            "'anonieme inwoner' bij je ideeën."
        ),
        "legal_basis": "Toestemming (AVG artikel 6 lid 1a)",
        "text": (
            "Bij de ideeën en reacties die je op Stadsmakers plaatst, tonen we de naam die je op "
            "deze site gebruikt. Iedereen die de site bezoekt, kan die naam zien.\n\n"
            "Wil je dat niet? Geef dan geen toestemming. Je ideeën staan dan op de site als "
            "idee van een 'anonieme inwoner'. De gemeente leest ze net zo goed.\n\n"
            "Je kunt je toestemming altijd intrekken op de pagina Mijn toestemmingen. Dan "
            "vervangen we je naam overal door 'anonieme inwoner'."
        ),
    },
]


def load() -> str:
    published = 0
    for data in PURPOSES:
        data = dict(data)
        code, body = data.pop("code"), data.pop("text")
        purpose, _created = Purpose.objects.update_or_create(code=code, defaults=data)
        current = selectors.current_text(purpose=purpose)
        if current is None or current.body != services.normalise_body(body):
            services.consent_text_publish(purpose=purpose, body=body, material_change=True,
                                          by=None)
            published += 1
    return f"{len(PURPOSES)} purposes, {published} consent texts published"
