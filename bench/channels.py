"""Channel latency: a Telegram update at the webhook until its sendMessage reaches the Bot API
double, and a widget message sent in Debian chromium until its answer is rendered.

    .venv/bin/python -m bench.channels [--rounds 40]

Runs the whole assistant (trained model, action server, embedded open-data server). The Bot API
double is the test double from tests/assistant/telegram_double.py (real HTTP, python-telegram-bot
on the assistant's side). Writes bench/results/channels.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
from pathlib import Path

import httpx

from bench.assistant import STADTLOTSE_MESSAGES, percentile
from bench.stack import running_stack, stack_env
from bot.launcher import build_and_train, environment
from tests.assistant.telegram_double import TelegramDouble, Updates
from tests.assistant.widget_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    demo_url,
    open_widget,
    wait_for_bot_count,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "channels.json"
SECRET = "bench-secret"


def telegram_latencies(env: dict[str, str], double: TelegramDouble, rounds: int) -> list[float]:
    url = f"http://127.0.0.1:{env['RASA_PORT']}/webhooks/telegram/webhook"
    updates = Updates()
    latencies = []
    for index in range(rounds + 3):
        chat = random.randint(10**6, 10**7)
        update = updates.text(STADTLOTSE_MESSAGES[index % len(STADTLOTSE_MESSAGES)], chat_id=chat)
        started = time.monotonic()
        httpx.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}, timeout=10
        )
        call = double.wait_for(
            "sendMessage",
            timeout=30,
            where=lambda c, chat=chat: str(c.params.get("chat_id")) == str(chat),
        )[0]
        if index >= 3:  # warm-up
            latencies.append((call.at - started) * 1000)
    return latencies


def widget_latencies(rasa_url: str, rounds: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    latencies = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(locale="de-DE").new_page()
        page.goto(demo_url(rasa_url))
        open_widget(page)
        for index in range(rounds + 3):
            before = page.locator(".sl-message--bot").count()
            page.locator("#stadtlotse-input").fill(
                STADTLOTSE_MESSAGES[index % len(STADTLOTSE_MESSAGES)]
            )
            started = time.monotonic()
            page.locator("#stadtlotse-input").press("Enter")
            wait_for_bot_count(page, before + 1, timeout=30000)
            if index >= 3:
                latencies.append((time.monotonic() - started) * 1000)
            page.wait_for_timeout(300)  # let multi-message answers finish before the next question
        browser.close()
    return latencies


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": statistics.median(values),
        "p95_ms": percentile(values, 0.95),
        "n": len(values),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    args = parser.parse_args()
    build_and_train(environment())
    work = ROOT / "build" / "bench-channels"
    double = TelegramDouble().start()
    env = stack_env(work, **double.environment(secret_token=SECRET))
    results: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count()}}
    try:
        with running_stack(env, work):
            print(f"[telegram] {args.rounds} updates -> sendMessage ...", flush=True)
            results["telegram_update_to_send_message"] = summary(
                telegram_latencies(env, double, args.rounds)
            )
            print(f"[widget] {args.rounds} messages -> rendered answer in chromium ...", flush=True)
            rasa_url = f"http://127.0.0.1:{env['RASA_PORT']}"
            results["widget_message_to_rendered_answer"] = summary(
                widget_latencies(rasa_url, args.rounds)
            )
    finally:
        double.stop()
    results["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    for key in ("telegram_update_to_send_message", "widget_message_to_rendered_answer"):
        print(
            f"{key:36} p50 {results[key]['p50_ms']:7.1f} ms   p95 {results[key]['p95_ms']:7.1f} ms"
        )
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
