"""Start the whole assistant for a benchmark: temporary databases, free ports, logs in build/."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bot.launcher import allowed_origins, environment, server_commands
from tests.assistant.conftest import free_port

ROOT = Path(__file__).resolve().parent.parent


def wait_for(url: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up")


def stack_env(work: Path, **extra: str) -> dict[str, str]:
    env = environment()
    ports = {
        name: str(free_port()) for name in ("OPENDATA_PORT", "ACTION_SERVER_PORT", "RASA_PORT")
    }
    env.update(
        ports,
        OPENDATA_URL=f"http://127.0.0.1:{ports['OPENDATA_PORT']}",
        OPENDATA_DATABASE_URL=f"sqlite:///{work / 'opendata.sqlite'}",
        TRACKER_DB=str(work / "tracker.sqlite"),
        FEEDBACK_DB_URL=f"sqlite:///{work / 'feedback.sqlite'}",
        # The load shapes send up to ~60 messages a minute per conversation: measure answers,
        # not the guard's refusals.
        STADTLOTSE_RATE_CONVERSATION="1000000/60",
        STADTLOTSE_RATE_ADDRESS="1000000/60",
        **extra,
    )
    env.pop("STADTLOTSE_ALLOWED_ORIGINS", None)
    env["STADTLOTSE_ALLOWED_ORIGINS"] = allowed_origins(env)  # the bench's own port
    return env


@contextmanager
def running_stack(env: dict[str, str], work: Path) -> Iterator[list[subprocess.Popen]]:
    """Open-data server, action server and Rasa (with the REST, socket.io, widget, Telegram channels)."""
    work.mkdir(parents=True, exist_ok=True)
    # Fresh conversations every run: a previous run's trackers (same sender ids, session not yet
    # expired) would make every conversation longer than the benchmark intends.
    for stale in work.glob("tracker.sqlite*"):
        stale.unlink()
    processes: list[subprocess.Popen] = []

    def start(name: str, command: list[str]) -> None:
        log = (work / f"{name}.log").open("w")
        processes.append(
            subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        )

    try:
        commands = server_commands(env)
        start("opendata", commands["opendata"])
        wait_for(f"{env['OPENDATA_URL']}/health")
        start("actions", commands["actions"])
        start("rasa", commands["rasa"])
        wait_for(f"http://127.0.0.1:{env['ACTION_SERVER_PORT']}/health")
        wait_for(f"http://127.0.0.1:{env['RASA_PORT']}/")
        yield processes
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
