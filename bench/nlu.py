"""NLU quality on the held-out set (bench/data/nlu_heldout.yml), which is never trained on.

    .venv/bin/python -m bench.nlu [--model models/stadtlotse.tar.gz]

Parses every held-out message with the trained model exactly as the running assistant would
(all extractors + the open-data entity merger) and reports intent accuracy, entity precision/
recall/F1 (exact span and type) and the most frequent confusions between intents.
Writes bench/results/nlu.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

from bench.overlap import find_overlaps, heldout_examples, training_examples

ROOT = Path(__file__).resolve().parent.parent
HELDOUT = ROOT / "bench" / "data" / "nlu_heldout.yml"
RESULTS = ROOT / "bench" / "results" / "nlu.json"


def entity_key(entity: dict) -> tuple[int, int, str]:
    return entity["start"], entity["end"], entity["entity"]


TOKEN = re.compile(r"\w+", re.UNICODE)


def token_labels(text: str, entities: list[dict]) -> list[str]:
    """One label per word token: the entity type covering it, or "O" (as `rasa test nlu` scores)."""
    labels = []
    for token in TOKEN.finditer(text):
        label = "O"
        for entity in entities:
            if entity["start"] < token.end() and token.start() < entity["end"]:
                label = entity["entity"]
                break
        labels.append(label)
    return labels


async def evaluate(model: Path) -> dict:
    from rasa.core.agent import Agent
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(HELDOUT))
    examples = [e for e in data.training_examples if e.get("intent")]
    print(f"held-out set: {len(examples)} messages, {len(data.intents)} intents", flush=True)
    overlaps = find_overlaps(heldout_examples(HELDOUT), training_examples())
    if overlaps:
        print(
            f"WARNING: {len(overlaps)} held-out messages duplicate training examples "
            "(bench/overlap.py): the figures below overstate generalisation",
            flush=True,
        )
    agent = Agent.load(str(model))
    correct = 0
    correct_before_fallback = 0
    fallback_confidences: list[float] = []
    confusions: Counter[tuple[str, str]] = Counter()
    per_intent: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    tp = fp = fn = 0
    token_tp = token_fp = token_fn = 0
    per_entity: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    started = time.perf_counter()
    for index, example in enumerate(examples, 1):
        text = example.get("text")
        parsed = await agent.parse_message(text)
        expected, predicted = example.get("intent"), (parsed.get("intent") or {}).get("name")
        per_intent[expected][1] += 1
        ranking = [r for r in parsed.get("intent_ranking") or [] if r.get("name") != "nlu_fallback"]
        if ranking and ranking[0].get("name") == expected:
            correct_before_fallback += 1
        if predicted == "nlu_fallback" and ranking:
            fallback_confidences.append(round(ranking[0].get("confidence", 0.0), 3))
        if predicted == expected:
            correct += 1
            per_intent[expected][0] += 1
        else:
            confusions[(expected, predicted)] += 1
        gold_entities = example.get("entities") or []
        found_entities = [
            e
            for e in parsed.get("entities") or []
            if e["entity"] not in {"rating", "latitude", "longitude"}
        ]
        gold_labels = token_labels(text, gold_entities)
        for g, p in zip(gold_labels, token_labels(text, found_entities), strict=True):
            token_tp += g == p != "O"
            token_fp += p not in ("O", g)
            token_fn += g not in ("O", p)
        gold = {entity_key(e) for e in gold_entities}
        found = {entity_key(e) for e in found_entities}
        tp += len(gold & found)
        fp += len(found - gold)
        fn += len(gold - found)
        for _s, _e, label in gold & found:
            per_entity[label][0] += 1
        for _s, _e, label in found - gold:
            per_entity[label][1] += 1
        for _s, _e, label in gold - found:
            per_entity[label][2] += 1
        if index % 50 == 0:
            print(f"  {index}/{len(examples)} parsed", flush=True)
    elapsed = time.perf_counter() - started
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    token_p = token_tp / (token_tp + token_fp) if token_tp + token_fp else 0.0
    token_r = token_tp / (token_tp + token_fn) if token_tp + token_fn else 0.0
    token_f1 = 2 * token_p * token_r / (token_p + token_r) if token_p + token_r else 0.0
    return {
        "messages": len(examples),
        "duplicates_of_training": len(overlaps),
        "entity_token_f1": token_f1,
        "entity_token_precision": token_p,
        "entity_token_recall": token_r,
        "intent_accuracy": correct / len(examples),
        "intent_accuracy_before_fallback": correct_before_fallback / len(examples),
        "fallback_top_confidences": sorted(fallback_confidences),
        "entity_precision": precision,
        "entity_recall": recall,
        "entity_f1": f1,
        "entities_gold": tp + fn,
        "parse_ms_mean": 1000 * elapsed / len(examples),
        "per_intent_accuracy": {k: v[0] / v[1] for k, v in sorted(per_intent.items())},
        "per_entity": {
            k: {"tp": v[0], "fp": v[1], "fn": v[2]} for k, v in sorted(per_entity.items())
        },
        "confusions": [
            {"expected": e, "predicted": p, "count": c} for (e, p), c in confusions.most_common(25)
        ],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(ROOT / "models" / "stadtlotse.tar.gz"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    import structlog

    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.ERROR))
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    result = asyncio.run(evaluate(Path(args.model)))
    result["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count()}
    result["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"\nintent accuracy: {result['intent_accuracy']:.1%}  (target >= 95 %)")
    print(
        f"  (top intent before the fallback threshold: {result['intent_accuracy_before_fallback']:.1%})"
    )
    print(
        f"entity F1, per token (as rasa test nlu): {result['entity_token_f1']:.1%}  "
        f"(P {result['entity_token_precision']:.1%}, R {result['entity_token_recall']:.1%}; target >= 92 %)"
    )
    print(
        f"entity F1, exact spans (stricter):      {result['entity_f1']:.1%}  "
        f"(P {result['entity_precision']:.1%}, R {result['entity_recall']:.1%})"
    )
    print("most frequent confusions:")
    for item in result["confusions"][:10]:
        print(f"  {item['expected']:>22} -> {item['predicted']:<22} {item['count']}")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
