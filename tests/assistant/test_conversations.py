"""End-to-end conversations over Rasa's REST channel against the running stack.

Real trained model, real action server, real HTTP to the embedded open-data server (pinned to a
Monday 08:15). Each test uses its own sender id, so conversations do not leak into each other.
"""

from __future__ import annotations

import sqlite3
import uuid

import pytest

from tests.assistant.conftest import Stack


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


def buttons(replies: list[dict]) -> list[dict]:
    return [b for r in replies for b in r.get("buttons", [])]


@pytest.fixture
def sender() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


def test_free_spaces_in_a_named_car_park(stack: Stack, sender: str) -> None:
    replies = stack.say(sender, "Wie viele Plätze sind im Forum frei?")
    answer = texts(replies)
    assert "Parkhaus Forum" in answer
    assert "frei" in answer or "geschlossen" in answer or "Live-Daten" in answer
    assert "Quelle:" in answer and "Stand:" in answer
    assert {"👍", "👎"} <= {b["title"] for b in buttons(replies)}


def test_free_car_parks_near_the_main_station_nearest_first(stack: Stack, sender: str) -> None:
    answer = texts(stack.say(sender, "Wo finde ich jetzt einen freien Parkplatz am Hauptbahnhof?"))
    assert "Parken in der Nähe von Duisburg Hbf" in answer
    items = [line for line in answer.splitlines() if line.startswith("•")]
    assert any(name in answer for name in ("UCI", "Duisburger Freiheit", "Wuhanstraße")), answer
    distances = []
    for item in items:
        value, unit = item.split(" (")[-1].split(")")[0].split()[-2:]
        distances.append(float(value.replace(",", ".")) * (1000 if unit == "km" else 1))
    assert distances == sorted(distances) and distances[0] < 1000


def test_follow_up_cost_reuses_the_car_park(stack: Stack, sender: str) -> None:
    stack.say(sender, "Wie viele Plätze sind im Forum frei?")
    answer = texts(stack.say(sender, "Und was kostet das?"))
    assert "Parkhaus Forum" in answer and "€" in answer


def test_car_park_with_the_most_space_in_the_city_zone(stack: Stack, sender: str) -> None:
    answer = texts(stack.say(sender, "Wo ist in der City am meisten frei?"))
    assert "Am meisten frei" in answer and "City" in answer
    numbers = [
        int(line.split(": ")[1].split()[0])
        for line in answer.splitlines()
        if line.startswith("•") and "frei" in line
    ]
    assert numbers == sorted(numbers, reverse=True) and numbers


def test_unknown_car_park_gets_suggestions(stack: Stack, sender: str) -> None:
    replies = stack.say(sender, '/parking_free_spaces{"car_park": "Parkhaus Königsgalarie"}')
    assert any("Königsgalerie" in b["title"] for b in buttons(replies)) or "Königsgalerie" in texts(
        replies
    )


def test_next_departures_of_a_line_at_a_stop_and_follow_up_line(stack: Stack, sender: str) -> None:
    answer = texts(stack.say(sender, "Wann fährt die nächste 903 ab König-Heinrich-Platz?"))
    assert "König-Heinrich-Platz" in answer
    lines = [line for line in answer.splitlines() if line.startswith("•")]
    assert lines and all(line.startswith("• 903 →") for line in lines)
    assert "Min." in answer or "sofort" in answer
    follow = texts(stack.say(sender, "und die 901?"))
    follow_lines = [line for line in follow.splitlines() if line.startswith("•")]
    assert follow_lines and all(line.startswith("• 901 →") for line in follow_lines)
    assert "König-Heinrich-Platz" in follow


def test_ambiguous_stop_offers_buttons(stack: Stack, sender: str) -> None:
    replies = stack.say(sender, '/transit_departures{"stop": "Rathaus"}')
    titles = [b["title"] for b in buttons(replies)]
    assert len(titles) >= 2 and any("Hamborn" in t for t in titles)
    chosen = texts(stack.say(sender, buttons(replies)[0]["payload"]))
    assert "Nächste Abfahrten" in chosen or "keine Abfahrten" in chosen


def test_disruptions_on_the_u79_mention_the_replacement_buses(stack: Stack, sender: str) -> None:
    answer = texts(stack.say(sender, "Gibt es Störungen bei der U79?"))
    assert "U79" in answer
    assert any(word in answer for word in ("Bus", "SEV", "Ersatz"))


def test_direct_lines_between_two_stops(stack: Stack, sender: str) -> None:
    answer = texts(stack.say(sender, "Welche Linie fährt vom Hauptbahnhof zum Zoo/Uni?"))
    assert "901" in answer


def test_service_documents_then_cost_follow_up(stack: Stack, sender: str) -> None:
    answer = texts(stack.say(sender, "Was brauche ich für eine Gewerbeanmeldung?"))
    assert "Gewerbeanmeldung" in answer and "•" in answer and "Quelle:" in answer
    cost = texts(stack.say(sender, "Und was kostet das?"))
    assert "26" in cost


def test_service_by_synonym_with_verified_fee(stack: Stack, sender: str) -> None:
    answer = texts(stack.say(sender, "Was kostet ein Anwohnerparkausweis?"))
    assert "Bewohnerparkausweis" in answer and "30,70" in answer


def test_service_online_link(stack: Stack, sender: str) -> None:
    answer = texts(stack.say(sender, "Kann ich den Bewohnerparkausweis online beantragen?"))
    assert "https://" in answer


def test_application_status_form_never_echoes_or_stores_the_code(stack: Stack, sender: str) -> None:
    assert "Vorgangsnummer" in texts(stack.say(sender, "Wie ist der Stand meines Antrags?"))
    assert "Zugangscode" in texts(stack.say(sender, "DU-2026-004711"))
    answer = texts(stack.say(sender, "K7M2Q9"))
    assert "DU-2026-004711" in answer and "Bearbeitung" in answer
    assert "K7M2Q9" not in answer
    with sqlite3.connect(stack.env["TRACKER_DB"]) as db:
        stored = "\n".join(
            row[0]
            for row in db.execute(
                "SELECT data FROM events WHERE sender_id = ?", (stack.rest_id(sender),)
            )
        )
    assert stored, "the conversation must be in the SQL tracker store"
    assert "K7M2Q9" not in stored


def test_application_status_wrong_code_is_neutral(stack: Stack, sender: str) -> None:
    stack.say(sender, "Ich möchte den Status meines Antrags abfragen")
    stack.say(sender, "DU-2026-001234")
    answer = texts(stack.say(sender, "ZZ99ZZ"))
    assert "keinen Vorgang gefunden" in answer


def test_application_status_can_be_cancelled(stack: Stack, sender: str) -> None:
    stack.say(sender, "Wie ist der Stand meines Antrags?")
    answer = texts(stack.say(sender, "abbrechen"))
    assert "abgebrochen" in answer
    assert "Parkhaus Forum" in texts(stack.say(sender, "Wie viele Plätze sind im Forum frei?"))


def test_datasets_on_a_topic(stack: Stack, sender: str) -> None:
    answer = texts(stack.say(sender, "Gibt es offene Daten zu Kitas?"))
    assert "Kindertages" in answer and "Lizenz" in answer and "/dataset/" in answer


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Wo gibt es freie Kitaplätze in Hochfeld?", "Hochfeld"),
        ("Gibt es Baustellen auf der Königstraße?", "Königstraße"),
        ("Wie ist die Wasserqualität am Wolfssee?", "Wolfssee"),
        ("Wie viele Einwohner hat Hochfeld?", "Einwohner"),
        ("Welche Apotheke hat heute Notdienst?", "Notdienst"),
        ("Wo kann ich in Rheinhausen mein E-Auto laden?", "Rheinhausen"),
        ("Gibt es freie Wohnungen in Rheinhausen?", "Rheinhausen"),
    ],
)
def test_answers_from_the_data_itself(
    stack: Stack, sender: str, question: str, expected: str
) -> None:
    answer = texts(stack.say(sender, question))
    assert expected in answer
    assert "Quelle:" in answer


def test_shared_location_gives_car_parks_and_stops(stack: Stack, sender: str) -> None:
    replies = stack.say(sender, '/share_location{"latitude": 51.4306, "longitude": 6.7750}')
    answer = texts(replies)
    assert "Parken in Ihrer Nähe" in answer and "Haltestellen in Ihrer Nähe" in answer


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("Hallo", "Stadtlotse"),
        ("Was können Sie?", "Parken"),
        ("Bist du ein Mensch?", "kein Mensch"),
        ("Wie wird das Wetter morgen?", "0203 94000"),
        ("Danke!", "Gern geschehen"),
        ("Tschüss", "Wiedersehen"),
    ],
)
def test_conversation_basics(stack: Stack, sender: str, message: str, expected: str) -> None:
    assert expected in texts(stack.say(sender, message))


def test_feedback_is_stored_without_the_sender_id(stack: Stack, sender: str) -> None:
    stack.say(sender, "Wie viele Plätze sind im Forum frei?")
    answer = texts(stack.say(sender, '/feedback{"rating": "positive"}'))
    assert "Danke für Ihre Rückmeldung" in answer
    path = stack.env["FEEDBACK_DB_URL"].removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT rating, intent, answer, conversation FROM feedback").fetchall()
    assert any(r[0] == "positive" and "Parkhaus Forum" in (r[2] or "") for r in rows)
    assert all(sender not in r[3] for r in rows)


@pytest.mark.parametrize(
    "message",
    [
        "",
        "   ",
        "🙂🙂🙂",
        "x" * 10_000,
        "Parken " * 1500,
        "<script>alert(1)</script><b>Forum</b>",
        "<img src=x onerror=alert(1)>",
    ],
)
def test_bad_input_gets_a_friendly_answer_without_markup(
    stack: Stack, sender: str, message: str
) -> None:
    replies = stack.say(sender, message)
    answer = texts(replies)
    assert replies and answer.strip(), "every message gets an answer"
    assert "<script" not in answer and "<img" not in answer and "<b>" not in answer
    assert "Traceback" not in answer
