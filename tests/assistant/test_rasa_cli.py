"""bot.rasa_cli keeps Rasa's behaviour while it removes Rasa's per-message costs."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

from bot import rasa_cli

TYPE_NAMES = sorted({cls.type_name for cls in all_subclasses(Event)})


def rasa_resolves(type_name: str) -> type[Event] | None:
    for cls in all_subclasses(Event):
        if cls.type_name == type_name:
            return cls
    return None


@pytest.fixture(scope="module", autouse=True)
def installed() -> None:
    rasa_cli.install()


def test_event_classes_resolve_as_in_rasa() -> None:
    assert len(TYPE_NAMES) > 20
    for type_name in TYPE_NAMES:
        assert Event.resolve_by_type(type_name) is rasa_resolves(type_name)
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=Event) is Event
    with pytest.raises(ValueError, match="no_such_event"):
        Event.resolve_by_type("no_such_event")


def test_action_results_are_still_validated() -> None:
    action = RemoteAction("action_parking_free_spaces", None)
    valid = {"events": [{"event": "slot", "name": "car_park", "value": "Forum"}], "responses": []}
    assert action._validate_action_result(valid)
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server"):
        action._validate_action_result({"events": [{"event": "slot", "name": 7}]})
    with pytest.raises(jsonschema.ValidationError):
        action._validate_action_result({"events": "not a list"})
