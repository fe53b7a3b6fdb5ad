"""Staff use `make shell` (Rasa's shell): drive it through a pseudo-terminal and check a real answer."""

from __future__ import annotations

import pexpect

from tests.assistant.conftest import ROOT, VENV, Stack, free_port


def test_rasa_shell_answers_a_parking_question(stack: Stack) -> None:
    """`make shell` runs exactly this: the staff shell against the running action server."""
    env = {
        **stack.env,
        "TERM": "dumb",
        "COLUMNS": "200",
        "RASA_SHELL_PORT": str(free_port()),
    }
    shell = pexpect.spawn(
        str(VENV / "python"),
        ["-m", "bot.launcher", "shell"],
        cwd=str(ROOT),
        env=env,
        encoding="utf-8",
        timeout=240,
        dimensions=(50, 200),
    )
    try:
        shell.expect("Your input ->")
        shell.sendline("Wie viele Plätze sind im Forum frei?")
        shell.expect("Parkhaus Forum", timeout=60)
        shell.expect(["Quelle:", "Live-Daten"], timeout=30)
    finally:
        shell.sendcontrol("c")
        shell.close(force=True)
