"""Services over HTTP: ZuFi shape, LeiKa-style search, the Duisburg catalogue, bad input."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendata.services import catalogue

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "opendata" / "data" / "duisburg" / "services"
ARS = "051120000000"
GEWERBE = "99050012104000"
BEWOHNERPARKEN = "99108001001000"
HYPOTHESIS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def zufi(http: httpx.Client, key: str, **params: str) -> httpx.Response:
    query = {"leistungsSchluessel": key, "sprache": "DE", **params}
    if "plz" not in params and "regionalSchluessel" not in params:
        query["regionalSchluessel"] = ARS
    return http.get("/zustaendigkeiten", params=query)


def first_hit(http: httpx.Client, query: str) -> dict:
    response = http.get("/services", params={"q": query})
    assert response.status_code == 200, response.text
    hits = response.json()
    assert hits, f"no hit for {query!r}"
    return hits[0]


def service_by_name(name: str) -> dict:
    for service in catalogue.load(PACKAGE).services:
        if service["bezeichnung"] == name:
            return service
    raise AssertionError(f"{name} missing from the data package")


# --- ZuFi shape -------------------------------------------------------------------------------


def test_zustaendigkeiten_envelope_and_office_shape(http: httpx.Client) -> None:
    response = zufi(http, BEWOHNERPARKEN)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"leistungStammtext", "daten", "paginierung"}
    assert body["paginierung"] == {"start": 0, "gesamt": 1, "anzahl": 1, "aktuelleSeite": 1}
    text = body["leistungStammtext"]
    for field in (
        "schluessel", "bezeichnung", "bezeichnung2", "synonyme", "teaser", "kurztext", "volltext",
        "rechtsgrundlage", "erforderliche_unterlagen", "voraussetzungen", "kosten",
        "bearbeitungsdauer", "verfahrensablauf", "fristen", "formulare", "urlOnlineDienst",
        "hinweise", "rechtsgrundlageLinks", "besondere_merkmale",
    ):  # fmt: skip
        assert field in text, field
    assert text["schluessel"] == BEWOHNERPARKEN
    [entry] = body["daten"]
    assert entry["leistung"]["schluessel"] == BEWOHNERPARKEN
    assert entry["leistung"]["leistungsbezeichnung"] == "Bewohnerparkausweis"
    [office] = entry["organisationseinheit"]
    assert office["name"] == "Beratungsstelle Planen, Bauen und Verkehr"
    [address] = office["anschrift"]
    assert {k: address[k] for k in ("typ", "strasse", "hausnummer", "postleitzahl", "ort")} == {
        "typ": "Hausanschrift",
        "strasse": "Friedrich-Albert-Lange-Platz",
        "hausnummer": "7",
        "postleitzahl": "47051",
        "ort": "Duisburg",
    }
    channels = {c["kanal"]: c["kennung"] for c in office["kommunikation"]}
    assert channels["telefon"] == "0203 94000"
    assert "@" in channels["email"]
    assert set(channels) <= {"telefon", "email", "fax", "web"}
    assert office["oeffnungszeiten"] and all(isinstance(h, str) for h in office["oeffnungszeiten"])
    assert office["oeffnungszeitenOsm"].startswith("Mo-Fr")
    assert office["kontaktperson"] == []


def test_structured_costs_duration_documents(http: httpx.Client) -> None:
    text = zufi(http, BEWOHNERPARKEN).json()["leistungStammtext"]
    assert [(c["betrag"], c["waehrung"]) for c in text["modulKosten"]] == [
        (30.70, "EUR"),
        (61.40, "EUR"),
        (12.00, "EUR"),
    ]
    assert all(c["text"] for c in text["modulKosten"])
    assert "30,70 €" in text["kosten"] and "61,40 €" in text["kosten"]
    duration = text["modulBearbeitungsdauer"]
    assert (
        set(duration) == {"text", "dauer", "einheit"}
        and duration["text"] == text["bearbeitungsdauer"]
    )
    documents = text["erforderlicheUnterlagenListe"]
    assert any("Fahrzeugschein" in d for d in documents)
    assert text["erforderliche_unterlagen"].count("\n") == len(documents) - 1
    assert text["urlOnlineDienst"].startswith("https://")


def test_postcode_finds_the_same_offices_as_the_region_key(http: httpx.Client) -> None:
    by_ars = zufi(http, GEWERBE).json()
    by_plz = zufi(http, GEWERBE, plz="47057").json()
    assert by_plz == by_ars
    assert by_plz["daten"][0]["organisationseinheit"]


def test_other_region_gets_the_text_but_no_offices(http: httpx.Client) -> None:
    body = zufi(http, GEWERBE, regionalSchluessel="051170000000").json()
    assert body["leistungStammtext"]["schluessel"] == GEWERBE
    assert body["daten"] == [] and body["paginierung"]["gesamt"] == 0
    assert zufi(http, GEWERBE, plz="10115").json()["daten"] == []


def test_without_region_the_servers_own_region_is_meant(http: httpx.Client) -> None:
    own = http.get("/zustaendigkeiten", params={"leistungsSchluessel": GEWERBE})
    assert own.status_code == 200 and own.json() == zufi(http, GEWERBE).json()


def test_unknown_service_key_is_an_empty_answer(http: httpx.Client) -> None:
    response = zufi(http, "99999999999999")
    assert response.status_code == 200
    assert response.json() == {
        "paginierung": {"start": 0, "gesamt": 0, "anzahl": 0, "aktuelleSeite": 1},
        "daten": [],
    }


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        (
            {"leistungsSchluessel": "9905001210400", "regionalSchluessel": ARS},
            "leistungsSchluessel",
        ),
        (
            {"leistungsSchluessel": "9905001210400x", "regionalSchluessel": ARS},
            "leistungsSchluessel",
        ),
        ({"regionalSchluessel": ARS}, "leistungsSchluessel"),
        ({"leistungsSchluessel": GEWERBE, "regionalSchluessel": "05112"}, "regionalSchluessel"),
        ({"leistungsSchluessel": GEWERBE, "regionalSchluessel": ""}, "regionalSchluessel"),
        ({"leistungsSchluessel": f" {GEWERBE}", "regionalSchluessel": ARS}, "leistungsSchluessel"),
        ({"leistungsSchluessel": f"{GEWERBE}\n", "regionalSchluessel": ARS}, "leistungsSchluessel"),
        ({"leistungsSchluessel": GEWERBE, "regionalSchluessel": ARS, "sprache": ""}, "sprache"),
        ({"leistungsSchluessel": GEWERBE, "plz": "4705"}, "plz"),
        ({"leistungsSchluessel": GEWERBE, "plz": "47O57"}, "plz"),
        ({"leistungsSchluessel": GEWERBE, "regionalSchluessel": ARS, "sprache": "EN"}, "sprache"),
        (
            {"leistungsSchluessel": "٩٩٠٥٠٠١٢١٠٤٠٠٠", "regionalSchluessel": ARS},
            "leistungsSchluessel",
        ),
    ],
)
def test_malformed_parameters_are_400_in_own_shape(
    http: httpx.Client, params: dict, parameter: str
) -> None:
    response = http.get("/zustaendigkeiten", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["parameter"] == parameter
    assert body["fehler"] in {"ungueltiger_parameter", "fehlender_parameter"} and body["nachricht"]


def test_service_detail(http: httpx.Client) -> None:
    body = http.get(f"/services/{GEWERBE}").json()
    assert body["Schluessel"] == body["schluessel"] == GEWERBE
    assert body["leistungStammtext"]["bezeichnung"] == "Gewerbeanmeldung"
    assert body["organisationseinheit"][0]["anschrift"]
    assert body["regionalSchluessel"] == ARS
    missing = http.get("/services/99999999999999")
    assert missing.status_code == 404 and missing.json()["fehler"] == "nicht_gefunden"
    bad = http.get("/services/123")
    assert bad.status_code == 400 and bad.json()["parameter"] == "schluessel"


# --- search -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Anwohnerparkausweis", "Bewohnerparkausweis"),
        ("ANWOHNERPARKAUSWEIS", "Bewohnerparkausweis"),
        ("Wie viel kostet ein Anwohnerparkausweis in Duisburg?", "Bewohnerparkausweis"),
        ("Bewohnerparkausweise", "Bewohnerparkausweis"),
        ("Perso", "Personalausweis"),
        ("Wo kann ich meinen Perso beantragen?", "Personalausweis"),
        ("Personalausweiss", "Personalausweis"),
        ("ummelden", "Wohnsitz anmelden"),
        ("Umzug melden", "Wohnsitz anmelden"),
        ("Ich bin umgezogen", "Wohnsitz anmelden"),
        ("Gewerbe anmelden", "Gewerbeanmeldung"),
        ("Ich möchte ein Gewerbe anmelden", "Gewerbeanmeldung"),
        ("Gewerbe abmelden", "Gewerbeabmeldung"),
        ("Sperrmüll abholen", "Sperrmüllabholung"),
        ("sperrmuell abholen", "Sperrmüllabholung"),
        ("Sofa entsorgen", "Sperrmüllabholung"),
        ("Führungszeugnis", "Führungszeugnis"),
        ("fuehrungszeugnis", "Führungszeugnis"),
        ("heiraten", "Eheschließung"),
        ("Hund anmelden", "Hundesteuer Anmeldung"),
        ("Kindergartenplatz", "Kita-Platz"),
        ("Halteverbot für den Umzug", "Halteverbotszone für einen Umzug"),
        ("Bauantrag", "Baugenehmigung"),
        ("Gerüst auf dem Gehweg", "Sondernutzungserlaubnis"),
        ("Geldbörse verloren", "Fundsachen"),
        ("Mietzuschuss", "Wohngeld"),
        ("Reisepass", "Reisepass"),
        ("Hundesteur", "Hundesteuer Anmeldung"),
        ("Baugenemigung", "Baugenehmigung"),
    ],
)
def test_search_forgives_and_ranks_the_right_service_first(
    http: httpx.Client, query: str, expected: str
) -> None:
    hit = first_hit(http, query)
    assert hit["Bezeichnung"] == hit["bezeichnung"] == expected
    assert 0 < hit["confidence"] <= 1


def test_search_hit_shape_and_order(http: httpx.Client) -> None:
    hits = http.get("/services", params={"q": "Ausweis", "limit": "5"}).json()
    assert 1 <= len(hits) <= 5
    scores = [h["confidence"] for h in hits]
    assert scores == sorted(scores, reverse=True)
    for hit in hits:
        assert {
            "Schluessel",
            "Bezeichnung",
            "Kurztext",
            "Volltext",
            "Synonyme",
            "confidence",
        } <= set(hit)
        assert len(hit["Schluessel"]) == 14 and hit["schluessel"] == hit["Schluessel"]
    assert http.get("/services", params={"q": "Ausweis", "limit": "1"}).json() == hits[:1]


def test_search_without_match_is_an_empty_list(http: httpx.Client) -> None:
    for query in ("xyzzy qwrtp", "Duisburg", "wie was wo"):
        response = http.get("/services", params={"q": query})
        assert response.status_code == 200 and response.json() == [], query


@pytest.mark.parametrize(
    "params",
    [{}, {"q": ""}, {"q": "   "}, {"q": "a" * 201}, {"q": "Perso", "limit": "0"},
     {"q": "Perso", "limit": "51"}, {"q": "Perso", "limit": "zehn"}, {"q": "Perso", "limit": "-1"},
     {"q": "Perso", "limit": "١"}],
)  # fmt: skip
def test_search_rejects_bad_parameters(http: httpx.Client, params: dict) -> None:
    response = http.get("/services", params=params)
    assert response.status_code == 400
    assert response.json()["fehler"] in {"ungueltiger_parameter", "fehlender_parameter"}


# --- the Duisburg catalogue -------------------------------------------------------------------

REQUIRED = [
    "Gewerbeanmeldung", "Bewohnerparkausweis", "Sondernutzungserlaubnis", "Baugenehmigung",
    "Personalausweis", "Reisepass", "Wohnsitz anmelden", "Halteverbotszone für einen Umzug",
    "Hundesteuer Anmeldung", "Führungszeugnis", "Kita-Platz", "Wohngeld", "Sperrmüllabholung",
    "Fundsachen", "Eheschließung",
]  # fmt: skip


def test_every_required_service_is_served_with_offices(http: httpx.Client) -> None:
    services = catalogue.load(PACKAGE).services
    assert len(services) >= 15
    names = {s["bezeichnung"] for s in services}
    assert set(REQUIRED) <= names
    for service in services:
        body = zufi(http, service["schluessel"]).json()
        text = body["leistungStammtext"]
        assert text["bezeichnung"] == service["bezeichnung"]
        assert text["verifiziert"] in {"ja", "teilweise", "nein"} and text["quelle"]
        assert text["kosten"] and text["kurztext"]
        offices = body["daten"][0]["organisationseinheit"]
        for office in offices:
            assert office["anschrift"][0]["strasse"] and office["anschrift"][0]["postleitzahl"]
            kinds = {c["kanal"] for c in office["kommunikation"]}
            assert {"telefon", "email"} <= kinds, office["name"]
            assert office["oeffnungszeiten"], office["name"]


def test_verified_gewerbe_facts(http: httpx.Client) -> None:
    text = zufi(http, GEWERBE).json()["leistungStammtext"]
    amounts = {c["betrag"] for c in text["modulKosten"]}
    assert {26.0, 33.0} <= amounts
    assert "§ 14" in text["rechtsgrundlage"] and "GewO" in text["rechtsgrundlage"]
    assert text["urlOnlineDienst"] == "https://service.wirtschaft.nrw/online-antraege"
    assert "Gewerbe anmelden" in text["synonyme"]


def test_verified_bewohnerparken_facts(http: httpx.Client) -> None:
    body = zufi(http, BEWOHNERPARKEN).json()
    text = body["leistungStammtext"]
    assert "Anwohnerparkausweis" in text["synonyme"]
    assert text["verifiziert"] == "ja"
    assert text["urlOnlineDienst"] == "https://service.duisburg.de"
    office = body["daten"][0]["organisationseinheit"][0]
    assert office["anschrift"][0]["zusatz"] == "Stadthaus"


def test_verified_sondernutzung_and_baugenehmigung_facts(http: httpx.Client) -> None:
    service = service_by_name("Sondernutzungserlaubnis")
    body = zufi(http, service["schluessel"]).json()
    text = body["leistungStammtext"]
    assert text["modulFrist"]["dauer"] == 3 and text["modulFrist"]["einheit"] == "Wochen"
    assert any("Lageplan" in d for d in text["erforderlicheUnterlagenListe"])
    office = body["daten"][0]["organisationseinheit"][0]
    assert office["name"].startswith("Straßenrecht")
    assert office["oeffnungszeitenOsm"] == "Mo-Fr 08:00-12:30"
    assert office["anschrift"][0]["strasse"] == "Friedrich-Albert-Lange-Platz"

    service = service_by_name("Baugenehmigung")
    body = zufi(http, service["schluessel"]).json()
    assert body["daten"][0]["organisationseinheit"][0]["name"] == (
        "Amt für Baurecht und betrieblichen Umweltschutz"
    )
    assert "bauportal.nrw" in body["leistungStammtext"]["urlOnlineDienst"]


# --- adversarial input ------------------------------------------------------------------------

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)


@HYPOTHESIS
@given(q=TEXT, limit=st.one_of(st.none(), TEXT))
def test_search_never_fails_on_any_text(http: httpx.Client, q: str, limit: str | None) -> None:
    params = {"q": q} if limit is None else {"q": q, "limit": limit}
    response = http.get("/services", params=params)
    assert response.status_code in (200, 400), response.text
    body = response.json()
    if response.status_code == 200:
        assert isinstance(body, list)
        assert all(0 < h["confidence"] <= 1 for h in body)
    else:
        assert body["status"] == 400


@HYPOTHESIS
@given(key=TEXT, region=TEXT, plz=st.one_of(st.none(), TEXT), sprache=st.one_of(st.none(), TEXT))
def test_zustaendigkeiten_never_fails_on_any_parameter(
    http: httpx.Client, key: str, region: str, plz: str | None, sprache: str | None
) -> None:
    params = {"leistungsSchluessel": key, "regionalSchluessel": region}
    if plz is not None:
        params["plz"] = plz
    if sprache is not None:
        params["sprache"] = sprache
    response = http.get("/zustaendigkeiten", params=params)
    assert response.status_code in (200, 400), response.text
    assert isinstance(response.json(), dict)


@pytest.mark.parametrize(
    "query",
    ["' OR 1=1 --", "\x00\x00", "Perso\x00; DROP TABLE services_leistung;", "%00%27", "🙂" * 50,
     "<script>alert(1)</script>", "a" * 200, "Ä" * 200],
)  # fmt: skip
def test_injection_and_odd_strings_are_harmless(http: httpx.Client, query: str) -> None:
    response = http.get("/services", params={"q": query})
    assert response.status_code in (200, 400)
    detail = http.get("/services/" + quote(query[:40], safe=""))
    assert detail.status_code in (400, 404)
    assert zufi(http, GEWERBE).status_code == 200  # the table is still there
