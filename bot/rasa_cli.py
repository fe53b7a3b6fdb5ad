"""Rasa's command line with Stadtlotse's runtime fixes; use it in place of the `rasa` script.

    python -m bot.rasa_cli run --model models/stadtlotse.tar.gz --endpoints endpoints.yml

Five fixes, each measured here (bench/assistant.py) and each keeping Rasa's behaviour:

- Rasa checks every action-server response with `jsonschema.validate()`, which first checks the
  events schema itself against its meta-schema, on every call: half of the Rasa server's CPU time
  per message under load. The response is still validated, with a validator built once.
- To load a DIET or TED model, Rasa trains it for one step on one example so that its weights
  exist, then loads the trained weights over them. That step runs as a traced TensorFlow graph
  which is never used again and keeps about 750 MB resident. Run eagerly, the step builds the same
  weights for about 100 MB; predictions still run as a traced graph (same results).
- Reading a conversation, Rasa finds each event's class by walking all subclasses of `Event`,
  once per event: a fifth of the server's CPU time in longer conversations. The classes are
  looked up in a table built from the same walk (first match wins, as in Rasa).
- Training DIET, each CRF (entity, role) decodes its best tags to report an F1 score. That decode
  runs under the gradient tape, so TensorFlow traces forward and backward functions for its
  `tf.cond` branches although no loss depends on it: a fifth of the whole training time. The
  decode now reads its inputs through `tf.stop_gradient` (same tags, same scores, same loss).
- Keras feeds DIET from a `tf.data` pipeline whose autotuner thread sleeps up to 60 s between
  rounds and is not woken when training ends: about every second training waited 50–55 s for it
  after the last epoch. The pipeline (one fixed prefetch, nothing to tune) runs without autotuning.
"""

from __future__ import annotations

import sys
from typing import Any

import jsonschema
import tensorflow as tf
from keras.engine.data_adapter import KerasSequenceAdapter
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses
from rasa.utils.tensorflow.constants import LEARNING_RATE, RUN_EAGERLY
from rasa.utils.tensorflow.crf import crf_decode
from rasa.utils.tensorflow.data_generator import RasaBatchDataGenerator
from rasa.utils.tensorflow.layers import CRF
from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

from bot.log_redaction import install_log_redaction


def install() -> None:
    install_log_redaction()  # no access code and no user text in any log record (DSGVO)
    validate_action_results_with_one_validator()
    build_loaded_models_eagerly()
    look_up_event_classes_in_a_table()
    decode_crf_tags_without_gradients()
    feed_training_data_without_autotuning()


def validate_action_results_with_one_validator() -> None:
    schema = RemoteAction.action_response_format_spec()
    validator = jsonschema.validators.validator_for(schema)(schema)

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        error = jsonschema.exceptions.best_match(validator.iter_errors(result))
        if error is not None:
            error.message += (
                ". Failed to validate Action server response from API, make sure your response "
                "from the Action endpoint is valid. For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise error
        return True

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


def build_loaded_models_eagerly() -> None:
    load_with_traced_step = RasaModel.load.__func__  # type: ignore[attr-defined]

    def load(
        cls: type[RasaModel],
        model_file_name: str,
        model_data_example: RasaModelData,
        predict_data_example: RasaModelData | None = None,
        finetune_mode: bool = False,
        *args: Any,
        **kwargs: Any,
    ) -> RasaModel:
        if finetune_mode:  # training goes on: keep Rasa's own path
            return load_with_traced_step(
                cls,
                model_file_name,
                model_data_example,
                predict_data_example,
                True,
                *args,
                **kwargs,
            )
        config = kwargs.get("config", {})
        model = cls(*args, **kwargs)
        model.compile(
            optimizer=tf.keras.optimizers.Adam(config.get(LEARNING_RATE, 0.001)),
            run_eagerly=True,
        )
        model.fit(RasaBatchDataGenerator(model_data_example, batch_size=1), verbose=False)
        model.load_weights(model_file_name)
        model.run_eagerly = config.get(RUN_EAGERLY)  # predictions: a traced graph again
        if predict_data_example:
            model.run_inference(predict_data_example)  # trace it now, not on the first message
        return model

    RasaModel.load = classmethod(load)  # type: ignore[assignment,method-assign]


def look_up_event_classes_in_a_table() -> None:
    resolve_by_walking = Event.resolve_by_type
    table: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        if type_name not in table:  # first use, or an event class defined since: walk again
            for cls in all_subclasses(Event):
                table.setdefault(cls.type_name, cls)
        if type_name in table:
            return table[type_name]
        return resolve_by_walking(type_name, default)  # Rasa's own fallbacks and errors

    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign]


def decode_crf_tags_without_gradients() -> None:
    def call(
        self: CRF, logits: tf.Tensor, sequence_lengths: tf.Tensor
    ) -> tuple[tf.Tensor, tf.Tensor]:
        # Rasa's CRF.call, with the decode's inputs cut off from the gradient tape.
        predicted_ids, scores, _ = crf_decode(
            tf.stop_gradient(logits), tf.stop_gradient(self.transition_params), sequence_lengths
        )
        mask = tf.sequence_mask(
            sequence_lengths, maxlen=tf.shape(predicted_ids)[1], dtype=predicted_ids.dtype
        )
        return predicted_ids * mask, scores * tf.cast(mask, tf.float32)

    CRF.call = call  # type: ignore[method-assign]


def feed_training_data_without_autotuning() -> None:
    get_dataset = KerasSequenceAdapter.get_dataset
    options = tf.data.Options()
    options.autotune.enabled = False

    def get_dataset_without_autotuning(self: KerasSequenceAdapter) -> tf.data.Dataset:
        return get_dataset(self).with_options(options)

    KerasSequenceAdapter.get_dataset = get_dataset_without_autotuning  # type: ignore[method-assign]


def refuse_open_api(argv: list[str]) -> None:
    """Rasa's HTTP API reads and steers every conversation: never without a JWT secret, and
    never with the query-string token (it ends up in logs and browser histories)."""
    if "--auth-token" in argv or "-t" in argv:
        raise SystemExit(
            "ERROR: Rasa's --auth-token is not allowed (sent in the query string). "
            "Fix: use --jwt-secret."
        )
    if "--enable-api" in argv and "--jwt-secret" not in argv:
        raise SystemExit(
            "ERROR: Rasa's HTTP API without authentication. "
            "Fix: set RASA_JWT_SECRET (or leave RASA_ENABLE_API unset)."
        )


def main() -> None:
    refuse_open_api(sys.argv[1:])
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
