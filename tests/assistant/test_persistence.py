"""Conversations live in the SQL tracker store: a restarted Rasa continues them."""

from __future__ import annotations

import subprocess
import uuid
from pathlib import Path

import httpx

from bot.launcher import RASA
from tests.assistant.conftest import ROOT, Stack, free_port, wait_for


def test_a_restarted_server_continues_the_conversation(stack: Stack, trained_model: Path) -> None:
    sender = f"restart-{uuid.uuid4().hex[:8]}"
    assert "Parkhaus Forum" in stack.say(sender, "Wie viele Plätze sind im Forum frei?")[0]["text"]
    port = str(free_port())
    env = {**stack.env, "RASA_PORT": port, "TELEGRAM_TOKEN": ""}
    second = subprocess.Popen(
        [*RASA, "run", "--model", str(trained_model), "--port", port,
         "--credentials", "credentials.yml", "--endpoints", "endpoints.yml"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for(f"http://127.0.0.1:{port}/", second)
        replies = httpx.post(
            f"http://127.0.0.1:{port}/webhooks/rest/webhook",
            json={"sender": sender, "message": "Und was kostet das?"},
            timeout=30,
        ).json()
    finally:
        second.terminate()
        second.wait(timeout=30)
    answer = "\n".join(r.get("text", "") for r in replies)
    assert "Parkhaus Forum" in answer and "€" in answer
