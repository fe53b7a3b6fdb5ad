"""bot.rasa_cli keeps Rasa's behaviour while it removes Rasa's per-message costs."""

from __future__ import annotations

import jsonschema
import numpy as np
import pytest
import tensorflow as tf
from keras.engine.data_adapter import KerasSequenceAdapter
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.utils.tensorflow.crf import crf_decode
from rasa.utils.tensorflow.layers import CRF

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


def test_crf_decodes_the_same_tags_outside_the_gradient_tape() -> None:
    tf.random.set_seed(7)
    crf = CRF(num_tags=5, reg_lambda=0.001, scale_loss=False)
    logits = tf.random.normal([3, 6, 5])
    lengths = tf.constant([6, 3, 1])
    tags = tf.random.uniform([3, 6], maxval=5, dtype=tf.int32)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(logits)
        ids, scores = crf(logits, lengths)
        loss = tf.reduce_mean(crf.loss(logits, tags, lengths))
    expected_ids, expected_scores, _ = crf_decode(logits, crf.transition_params, lengths)
    mask = tf.sequence_mask(lengths, maxlen=6)
    assert ids.numpy().tolist() == (expected_ids * tf.cast(mask, tf.int32)).numpy().tolist()
    assert ids.numpy()[2, 1:].tolist() == [0] * 5  # padding decodes as "no entity"
    assert scores.numpy() == pytest.approx((expected_scores * tf.cast(mask, tf.float32)).numpy())
    assert tape.gradient(scores, [logits, crf.transition_params]) == [None, None]
    assert all(g is not None for g in tape.gradient(loss, [logits, crf.transition_params]))


class ThreeBatches(tf.keras.utils.Sequence):
    def __len__(self) -> int:
        return 3

    def __getitem__(self, index: int) -> tuple[np.ndarray]:
        return (np.full((2, 1), index, dtype=np.float32),)


def test_training_batches_come_in_order_without_autotuning() -> None:
    dataset = KerasSequenceAdapter(ThreeBatches()).get_dataset()
    assert dataset.options().autotune.enabled is False
    assert [batch.numpy()[:, 0].tolist() for batch in dataset] == [[0, 0], [1, 1], [2, 2]]
