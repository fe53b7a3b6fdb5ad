"""Rasa NLU component: entities from the open-data entity ruler, merged with DIET's.

The spaCy pipeline built by bot.spacy_pipeline carries an entity ruler generated from the city's
open data (stops, car parks, districts, services, streets …). This component adds its matches,
with canonical names as values, to the entities DIET and the regex extractor found:
- where a ruler or regex match overlaps a DIET entity of the same type, the exact match wins
  (span and canonical value) and DIET's role (from/to) is kept;
- where the types differ, DIET wins: it sees the context ("Parkhaus am Rathaus" vs "Rathaus");
- matches DIET missed are added. Each span ends up with one entity.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import SPACY_DOCS
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyModel, SpacyNLP
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

DIET = "DIETClassifier"


def _overlaps(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return a["start"] < b["end"] and b["start"] < a["end"]


def merge(entities: list[dict[str, Any]], exact: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Merge exact matches (ruler, regex) into DIET's entities; one entity per span."""
    learned = [e for e in entities if e.get("extractor") == DIET]
    exact = exact + [e for e in entities if e.get("extractor") != DIET]
    result = [dict(e) for e in learned]
    for match in sorted(exact, key=lambda e: e["start"] - e["end"]):  # longest first
        overlapping = [e for e in result if _overlaps(e, match)]
        if not overlapping:
            result.append(dict(match))
            continue
        for existing in overlapping:
            if existing["entity"] == match["entity"] and existing.get("extractor") == DIET:
                role = existing.get("role")
                existing.update(
                    start=match["start"],
                    end=match["end"],
                    value=match["value"],
                    extractor=match.get("extractor"),
                )
                if role:
                    existing["role"] = role
    unique: list[dict[str, Any]] = []
    for entity in sorted(result, key=lambda e: (e["start"], -e["end"])):
        if any(_overlaps(entity, kept) for kept in unique):
            continue
        unique.append(entity)
    return unique


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=False, model_from="SpacyNLP"
)
class OpenDataEntityExtractor(GraphComponent, EntityExtractorMixin):
    @classmethod
    def required_components(cls) -> list[type]:
        return [SpacyNLP]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # `only_for_intents`: labels whose ruler matches count only under these intents (dataset
        # tags such as "Parken" are words in every other question).
        return {"dimensions": None, "only_for_intents": {}}

    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        return cls(config)

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        dimensions = self._config.get("dimensions")
        only_for = self._config.get("only_for_intents") or {}
        for message in messages:
            text = message.get(TEXT) or ""
            if not text.strip():
                continue
            intent = (message.get("intent") or {}).get("name")
            # SpacyNLP already ran the pipeline (on lower-cased text, which the LOWER patterns
            # match alike); reuse its doc unless lower-casing changed the offsets.
            doc = message.get(SPACY_DOCS[TEXT])
            if doc is None or len(doc.text) != len(text):
                doc = model.model(text)
            ruler = [
                {
                    "entity": ent.label_,
                    "start": ent.start_char,
                    "end": ent.end_char,
                    "value": ent.ent_id_ or ent.text,
                    "confidence_entity": 1.0,
                    "extractor": self.name,
                }
                for ent in doc.ents
                if (not dimensions or ent.label_ in dimensions)
                and (ent.label_ not in only_for or intent in only_for[ent.label_])
            ]
            message.set(ENTITIES, merge(message.get(ENTITIES, []), ruler), add_to_output=True)
        return messages
