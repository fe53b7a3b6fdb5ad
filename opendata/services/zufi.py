"""JSON shapes of the NRW Zuständigkeitsfinder (ZuFi) and LeiKa APIs.

Sources ([3P], reference §4.2 and public clients of `zufi.api.vsm.nrw` / `leika.vsm.nrw`, notably
the KDN "OZG-Datenbank NRW" consumer models and its HTTP data provider):

* ``GET /zustaendigkeiten`` answers an envelope: ``leistungStammtext`` (the service's base text),
  ``daten`` (one entry per Zuständigkeit: ``leistung`` = the municipality's own description,
  ``organisationseinheit`` = the responsible offices) and ``paginierung``
  ``{start, gesamt, anzahl, aktuelleSeite}``.
* LeiKa's keyword search ``/services?q=`` answers a plain list of ``{Schluessel, Bezeichnung,
  Kurztext, Volltext, Verfahrensablauf, "Erforderliche Unterlagen", "Besondere Merkmale",
  Synonyme, confidence, Typisierung}`` (capitalised keys as the real API sends them).

Own additions (not in the real API): in ``leistungStammtext`` the structured modules
``modulKosten`` [{betrag, waehrung, text}], ``modulBearbeitungsdauer`` and ``modulFrist``
{dauer, einheit, text} (named after the XZuFi modules), ``erforderlicheUnterlagenListe`` (list),
and provenance (``quelle``, ``verifiziert``, ``schluesselQuelle``); in an ``organisationseinheit``
``oeffnungszeiten`` (list of German sentences) and ``oeffnungszeitenOsm`` (OpenStreetMap
opening_hours syntax); in search hits lower-case ``schluessel``/``bezeichnung`` aliases.
"""

from __future__ import annotations

from typing import Any

CHANNELS = ("telefon", "fax", "email", "web")


def _bullets(items: list[str]) -> str | None:
    return "\n".join(f"• {item}" for item in items) or None


def stammtext(service: dict[str, Any]) -> dict[str, Any]:
    """`leistungStammtext` of a checked service record (see `catalogue`)."""
    documents = [" ".join(str(d).split()) for d in service.get("unterlagen") or []]
    costs = service["kosten"]
    duration = service.get("bearbeitungsdauer")
    deadline = service.get("fristen")
    return {
        "schluessel": service["schluessel"],
        "bezeichnung": service["bezeichnung"],
        "bezeichnung2": service.get("bezeichnung2"),
        "gruppierung": service.get("gruppierung"),
        "kennung": service.get("kennung"),
        "verrichtung": service.get("verrichtung"),
        "verrichtungsdetail": service.get("verrichtungsdetail"),
        "typisierung": service.get("typisierung"),
        "typ": service.get("typ"),
        "datum": service.get("fachlich_freigegeben_am"),
        "besondere_merkmale": list(service.get("besondere_merkmale") or []),
        "synonyme": [str(s) for s in service.get("synonyme") or []],
        "teaser": service.get("teaser"),
        "kurztext": service.get("kurztext"),
        "volltext": service.get("volltext"),
        "rechtsgrundlage": service.get("rechtsgrundlage"),
        "rechtsgrundlageLinks": [
            {"uri": link.get("uri"), "titel": link.get("titel")}
            for link in service.get("rechtsgrundlage_links") or []
        ],
        "erforderliche_unterlagen": _bullets(documents),
        "voraussetzungen": service.get("voraussetzungen"),
        "kosten": costs["text"],
        "bearbeitungsdauer": duration["text"] if duration else None,
        "verfahrensablauf": service.get("verfahrensablauf"),
        "fristen": deadline["text"] if deadline else None,
        "formulare": service.get("formulare"),
        "weiterfuehrende_informationen": service.get("weiterfuehrende_informationen"),
        "urlOnlineDienst": service.get("url_online_dienst"),
        "ansprechpunkt": service.get("ansprechpunkt"),
        "hinweise": service.get("hinweise"),
        "fachlich_freigegeben_am": service.get("fachlich_freigegeben_am"),
        "fachlich_freigegeben_durch": service.get("fachlich_freigegeben_durch"),
        # own additions (structured modules, provenance)
        "erforderlicheUnterlagenListe": documents,
        "modulKosten": costs["posten"],
        "modulBearbeitungsdauer": duration,
        "modulFrist": deadline,
        "schluesselQuelle": service.get("schluessel_quelle"),
        "quelle": service.get("quelle"),
        "verifiziert": service["verifiziert"],
    }


def organisationseinheit(office: dict[str, Any], mandant: str) -> dict[str, Any]:
    """ZuFi `organisationseinheit` of a checked office record."""
    address = office.get("anschrift") or {}
    contacts = [
        {"kanal": channel, "kennung": str(office[channel]), "kennungzusatz": None, "zusatz": None}
        for channel in CHANNELS
        if office.get(channel)
    ]
    return {
        "name": office["name"],
        "identifikator": office["id"],
        "beschreibung": office.get("beschreibung"),
        "mandant": mandant,
        "anschrift": [
            {
                "typ": "Hausanschrift",
                "strasse": address.get("strasse"),
                "hausnummer": None
                if address.get("hausnummer") is None
                else str(address["hausnummer"]),
                "postleitzahl": None
                if address.get("postleitzahl") is None
                else str(address["postleitzahl"]),
                "ort": address.get("ort"),
                "postfach": None,
                "zusatz": address.get("zusatz"),
                "geokodierung": None,
                "anfahrturl": None,
            }
        ]
        if address
        else [],
        "kommunikation": contacts,
        "kontaktperson": [],  # never personal data
        "oeffnungszeiten": [str(h) for h in office.get("oeffnungszeiten") or []],
        "oeffnungszeitenOsm": office.get("oeffnungszeiten_osm"),
        "quelle": office.get("quelle"),
        "verifiziert": office.get("verifiziert"),
    }


def leistung(text: dict[str, Any], mandant: str) -> dict[str, Any]:
    """The municipality's own description (`daten[].leistung`) derived from the base text."""
    return {
        "schluessel": text["schluessel"],
        "leistungsbezeichnung": text["bezeichnung"],
        "leistungsbezeichnung2": text.get("bezeichnung2"),
        "kurztext": text.get("kurztext"),
        "volltext": text.get("volltext"),
        "begriffeImKontext": text.get("synonyme") or [],
        "erforderlicheUnterlagen": text.get("erforderliche_unterlagen"),
        "urlOnlineDienst": text.get("urlOnlineDienst"),
        "urlInfo": None,
        "weiterfuehrendeInformationen": text.get("weiterfuehrende_informationen"),
        "urheber": mandant,
        "rechtsgrundlage": text.get("rechtsgrundlage"),
        "fachlichFreigegebenAm": text.get("fachlich_freigegeben_am"),
        "fachlichFreigegebenDurch": text.get("fachlich_freigegeben_durch"),
    }


def envelope(
    text: dict[str, Any] | None, offices: list[dict[str, Any]], mandant: str
) -> dict[str, Any]:
    """`/zustaendigkeiten` answer: base text, one Zuständigkeit with its offices, pagination."""
    daten = []
    if text is not None and offices:
        daten.append({"leistung": leistung(text, mandant), "organisationseinheit": offices})
    body: dict[str, Any] = {
        "paginierung": {"start": 0, "gesamt": len(daten), "anzahl": len(daten), "aktuelleSeite": 1},
        "daten": daten,
    }
    if text is not None:
        body["leistungStammtext"] = text
    return body


def leika_item(text: dict[str, Any], confidence: float | None = None) -> dict[str, Any]:
    """One LeiKa search hit / service record (capitalised keys plus lower-case aliases)."""
    item: dict[str, Any] = {
        "Schluessel": text["schluessel"],
        "Bezeichnung": text["bezeichnung"],
        "Kurztext": text.get("kurztext"),
        "Volltext": text.get("volltext"),
        "Verfahrensablauf": text.get("verfahrensablauf"),
        "Erforderliche Unterlagen": text.get("erforderliche_unterlagen"),
        "Besondere Merkmale": None,
        "Synonyme": text.get("synonyme") or [],
        "Typisierung": text.get("typisierung"),
        "schluessel": text["schluessel"],
        "bezeichnung": text["bezeichnung"],
    }
    if confidence is not None:
        item["confidence"] = confidence
    return item
