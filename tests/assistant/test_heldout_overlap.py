"""The held-out NLU set (bench/data/nlu_heldout.yml) shares no message with the training data.

Exact or near duplicates of training examples (rule in bench/overlap.py) would measure memory,
not generalisation. Plain data checks: no model, no stack, well under a second.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.overlap import (
    HELDOUT,
    Example,
    find_overlaps,
    heldout_examples,
    intent_examples,
    normalise,
    plain_text,
    training_examples,
)


@pytest.fixture(scope="module")
def training() -> list[Example]:
    examples = training_examples()
    assert len(examples) > 1000, "the intent examples of nlu_data/ were not found"
    return examples


def test_no_heldout_message_duplicates_a_training_example(training: list[Example]) -> None:
    heldout = heldout_examples()
    assert len(heldout) > 100, f"{HELDOUT} was not read"
    overlaps = find_overlaps(heldout, training)
    report = "\n".join(str(overlap) for overlap in overlaps)
    print(report)
    assert not overlaps, (
        f"{len(overlaps)} held-out messages duplicate training examples; remove them from "
        f"{HELDOUT.name} (don't reword them after reading nlu_data/):\n{report}"
    )


def test_normalise_folds_case_umlauts_punctuation_and_spaces() -> None:
    assert normalise("Glück auf!") == normalise("glueck  auf") == "glueck auf"
    assert normalise("Wann fährt die 903 ab König-Heinrich-Platz?") == (
        "wann faehrt die 903 ab koenig heinrich platz"
    )
    assert normalise("Gibt's Straßensperrungen? 👋") == "gibts strassensperrungen"
    assert plain_text('Vom [Hbf]{"entity": "stop", "role": "from"} zum [Zoo/Uni](stop)') == (
        "Vom Hbf zum Zoo/Uni"
    )


def test_known_duplicates_are_found(training: list[Example]) -> None:
    """Messages removed from the held-out set for being duplicates are still caught."""
    known = [
        Example("greet", "Glueck auf!", "known"),  # exact: "Glück auf"
        Example("service_duration", "Wie lange dauert ein Reisepass", "known"),  # exact
        Example("greet", "Gutn Abend", "known"),  # near: "Guten Abend"
        Example("transit_departures", "Wann fährt die 920 ab Rheinhausen Makrt?", "known"),
        Example("transit_departures", "Wann fährt die 920 nach Rom?", "known"),  # no duplicate
    ]
    found = {overlap.heldout.text: overlap for overlap in find_overlaps(known, training)}
    assert found["Glueck auf!"].exact
    assert found["Wie lange dauert ein Reisepass"].exact
    assert not found["Gutn Abend"].exact
    assert found["Gutn Abend"].training.text == "Guten Abend"
    assert found["Wann fährt die 920 ab Rheinhausen Makrt?"].training.source.endswith("transit.yml")
    assert "Wann fährt die 920 nach Rom?" not in found


def test_annotations_are_stripped_and_typos_caught(training: list[Example], tmp_path: Path) -> None:
    """The loader reads annotated YAML as Rasa does, and a typo still counts as a duplicate."""
    nlu = tmp_path / "nlu.yml"
    nlu.write_text(
        'version: "3.1"\nnlu:\n- intent: transit_connection\n  examples: |\n'
        '    - Wie komme ich vom [Rathaus]{"entity": "stop", "role": "from"} nach '
        "[Duissern](stop)?\n- synonym: Duisburg Hbf\n  examples: |\n    - Hbf\n",
        encoding="utf-8",
    )
    examples = intent_examples(nlu)
    assert [e.text for e in examples] == ["Wie komme ich vom Rathaus nach Duissern?"]
    typo = Example("transit_connection", "wie komme ich vom rathuas nach duissern", "typo")
    assert [o.training for o in find_overlaps([typo], examples)] == examples
    # A typo (two neighbouring characters swapped) in real training examples is still caught.
    sample = [e for e in training if len(normalise(e.text)) >= 10][::40]
    typos = [Example(e.intent, swap_middle(e.text), "typo") for e in sample]
    found = {o.heldout.text for o in find_overlaps(typos, training)}
    assert len(sample) > 20
    assert not [e.text for e in typos if e.text not in found]


def swap_middle(text: str) -> str:
    i = len(text) // 2
    return text[: i - 1] + text[i] + text[i - 1] + text[i + 1 :]
