"""The status answer of an application ("Vorgangsauskunft"), built from the stored rows."""

from __future__ import annotations

from datetime import timezone
from typing import Any

from opendata.applications.models import Antrag, Schritt
from opendata.clock import BERLIN

# Default German explanations; a data package may give a more specific `status_text`.
STATUSES: dict[str, str] = {
    "eingegangen": "Ihr Antrag ist eingegangen und wartet auf die Bearbeitung.",
    "in_bearbeitung": "Ihr Antrag wird bearbeitet.",
    "nachforderung": "Für die weitere Bearbeitung fehlen Unterlagen.",
    "genehmigt": "Ihr Antrag wurde genehmigt.",
    "abgelehnt": "Ihr Antrag wurde abgelehnt.",
    "abgeschlossen": "Der Vorgang ist abgeschlossen.",
}


def answer(application: Antrag, steps: list[Schritt]) -> dict[str, Any]:
    """The 200 body: state, history, next step and office; never anything about the applicant."""
    changed = application.letzte_aenderung.replace(tzinfo=timezone.utc).astimezone(BERLIN)
    return {
        "vorgangsnummer": application.vorgangsnummer,
        "leistung": {
            "schluessel": application.leistung_schluessel or None,
            "bezeichnung": application.leistung_bezeichnung,
        },
        "status": application.status,
        "status_text": application.status_text or STATUSES[application.status],
        "eingang_am": application.eingang_am.isoformat(),
        "letzte_aenderung": changed.isoformat(),
        "verlauf": [
            {"datum": s.datum.isoformat(), "schritt": s.schritt, "text": s.text}
            for s in sorted(steps, key=lambda s: s.position)
        ],
        "naechster_schritt": application.naechster_schritt,
        "zustaendige_stelle": {
            "name": application.stelle_name,
            "telefon": application.stelle_telefon,
            "email": application.stelle_email,
        },
    }
