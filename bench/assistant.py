"""End-to-end benchmark of the assistant against a bare Rasa assistant, in one run.

    .venv/bin/python -m bench.assistant [--quick]

Both assistants run here with the same Rasa version: Stadtlotse (open-data server + action
server + Rasa, every answer calls an action and an API) and a bare `rasa init` assistant (default
config, a few intents, no custom actions) as the reference. For each: REST latency p50/p95 for one
user, p95 under an open load of 20 conversations sending a message every 2 s (~10 msg/s), the
saturation throughput (20 users without pause), peak resident memory of all its processes; plus
full and incremental training time. Figures are reported as ratios to the bare assistant.
Writes bench/results/assistant.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results" / "assistant.json"
VENV = ROOT / ".venv" / "bin"

STADTLOTSE_MESSAGES = [
    "Wie viele Plätze sind im Forum frei?",
    "Wann fährt die nächste 903 ab König-Heinrich-Platz?",
    "Was brauche ich für eine Gewerbeanmeldung?",
    "Wo finde ich einen freien Parkplatz am Hauptbahnhof?",
    "Gibt es Störungen bei der U79?",
    "Was kostet ein Bewohnerparkausweis?",
    "Gibt es offene Daten zu Kitas?",
    "Wie viele Einwohner hat Hochfeld?",
    "Hallo",
    "Welche Apotheke hat heute Notdienst?",
]
BARE_MESSAGES = ["hello", "I am feeling great", "I am sad", "yes", "bye", "are you a bot?"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


class MemorySampler:
    """Peak of the summed RSS of a set of processes and their children."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _total(self) -> int:
        total = 0
        for pid in self.pids:
            try:
                process = psutil.Process(pid)
                for proc in [process, *process.children(recursive=True)]:
                    total += proc.memory_info().rss
            except psutil.Error:
                continue
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._total())
            time.sleep(0.2)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def one_message(client: httpx.AsyncClient, url: str, sender: str, text: str) -> float:
    started = time.perf_counter()
    response = await client.post(url, json={"sender": sender, "message": text})
    response.raise_for_status()
    if not response.json():
        raise RuntimeError(f"empty answer to {text!r}")
    return (time.perf_counter() - started) * 1000


async def single_user(url: str, messages: list[str], rounds: int) -> list[float]:
    async with httpx.AsyncClient(timeout=30) as client:
        for text in messages[:3]:  # warm-up
            await one_message(client, url, "warmup", text)
        # One user asks all the messages in one conversation, then starts the next one.
        return [
            await one_message(
                client, url, f"single-{i // len(messages)}", messages[i % len(messages)]
            )
            for i in range(rounds)
        ]


async def open_load(url: str, messages: list[str], users: int, interval: float, duration: float):
    latencies: list[float] = []
    errors = 0

    async def user(index: int, client: httpx.AsyncClient) -> None:
        nonlocal errors
        await asyncio.sleep(index * interval / users)  # spread the users over the interval
        next_send = time.perf_counter()
        end = next_send + duration
        turn = 0
        while time.perf_counter() < end:
            try:
                latencies.append(
                    await one_message(
                        client, url, f"user-{index}", messages[(index + turn) % len(messages)]
                    )
                )
            except (httpx.HTTPError, RuntimeError):
                errors += 1
            turn += 1
            if interval:
                next_send += interval
                await asyncio.sleep(max(0.0, next_send - time.perf_counter()))

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=users)) as client:
        await asyncio.gather(*(user(i, client) for i in range(users)))
    elapsed = time.perf_counter() - started
    return latencies, errors, elapsed


def measure(name: str, url: str, messages: list[str], pids: list[int], quick: bool) -> dict:
    rounds, duration = (40, 10.0) if quick else (150, 30.0)
    print(f"[{name}] one user, {rounds} messages ...", flush=True)
    with MemorySampler(pids) as memory:
        single = asyncio.run(single_user(url, messages, rounds))
        print(f"[{name}] 20 users, one message every 2 s each, {duration:.0f} s ...", flush=True)
        paced, paced_errors, paced_time = asyncio.run(open_load(url, messages, 20, 2.0, duration))
        print(f"[{name}] 20 users without pause, {duration:.0f} s (saturation) ...", flush=True)
        flood, flood_errors, flood_time = asyncio.run(open_load(url, messages, 20, 0.0, duration))
    result = {
        "single_user_p50_ms": statistics.median(single),
        "single_user_p95_ms": percentile(single, 0.95),
        "open_load_rate_msg_s": len(paced) / paced_time,
        "open_load_p50_ms": statistics.median(paced),
        "open_load_p95_ms": percentile(paced, 0.95),
        "open_load_errors": paced_errors,
        "saturation_msg_s": len(flood) / flood_time,
        "saturation_p95_ms": percentile(flood, 0.95),
        "saturation_errors": flood_errors,
        "peak_rss_mb": memory.peak / 2**20,
    }
    for key, value in result.items():
        print(f"[{name}]   {key:24} {value:10.1f}", flush=True)
    return result


def start(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> subprocess.Popen:
    handle = log.open("w")
    return subprocess.Popen(command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT)


def timed_train(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> float:
    started = time.perf_counter()
    with log.open("w") as handle:
        subprocess.run(
            command, cwd=cwd, env=env, check=True, stdout=handle, stderr=subprocess.STDOUT
        )
    return time.perf_counter() - started


def full_trainings(
    name: str, command: list[str], cwd: Path, env: dict[str, str], cache: Path, runs: int
) -> list[float]:
    """`runs` full trainings, each from an empty cache (this machine varies by ±15 % per run)."""
    times = []
    for run in range(1, runs + 1):
        print(f"[training] {name}: full training, empty cache ({run}/{runs}) ...", flush=True)
        shutil.rmtree(cache, ignore_errors=True)
        log = cache.parent / f"{cache.name}-{run}.log"
        times.append(timed_train(command, cwd, {**env, "RASA_CACHE_DIRECTORY": str(cache)}, log))
        print(f"[training]   {times[-1]:.0f} s", flush=True)
    return times


def train_times(env: dict[str, str], work: Path, bare: Path, runs: int) -> dict:
    """Full training from an empty cache (median of `runs`), incremental after a one-example
    change; the bare assistant's full training, measured the same way, as the reference."""
    from bot.launcher import RASA

    project = work / "train-copy"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir(parents=True)
    (project / "build").mkdir()
    for name in ("config.yml", "domain.yml", "nlu_data", "build/spacy_de", "build/nlu", "bot"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, project / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, project / name)
    train_options = ["train", "--skip-validation", "--fixed-model-name", "m"]
    command = [*RASA, *train_options, "--out", "models", "--data", "nlu_data", "build/nlu"]
    cache = work / "train-cache"
    project_env = {**env, "PYTHONPATH": str(project)}
    full = full_trainings("Stadtlotse", command, project, project_env, cache, runs)
    nlu = project / "nlu_data" / "conversation.yml"
    nlu.write_text(
        nlu.read_text(encoding="utf-8").replace("- Hallo\n", "- Hallo zusammen\n", 1),
        encoding="utf-8",
    )
    print("[training] Stadtlotse: incremental training after a one-example change ...", flush=True)
    incremental = timed_train(
        command,
        project,
        {**project_env, "RASA_CACHE_DIRECTORY": str(cache)},
        work / "train-cache-incremental.log",
    )
    bare_train = [str(VENV / "rasa"), *train_options, "--out", str(work / "bare-train-models")]
    bare_env = {**env, "PYTHONPATH": ""}
    bare_full = full_trainings(
        "bare assistant", bare_train, bare, bare_env, work / "bare-train-cache", runs
    )
    result = {
        "full_training_s": statistics.median(full),
        "full_training_runs_s": full,
        "incremental_training_s": incremental,
        "bare_full_training_s": statistics.median(bare_full),
        "bare_full_training_runs_s": bare_full,
    }
    print(
        f"[training]   full {result['full_training_s']:.0f} s (median of {runs}), incremental "
        f"{incremental:.0f} s, bare full {result['bare_full_training_s']:.0f} s",
        flush=True,
    )
    return result


def bare_assistant(work: Path, env: dict[str, str]) -> Path:
    bare = work / "bare"
    if not (bare / "models").exists():
        shutil.rmtree(bare, ignore_errors=True)
        bare.mkdir(parents=True)
        print("[bare] rasa init (default config, no custom actions) and training ...", flush=True)
        subprocess.run(
            [str(VENV / "rasa"), "init", "--no-prompt", "--init-dir", str(bare)],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    return bare


def serving(env: dict[str, str], work: Path, bare: Path, quick: bool) -> dict:
    """Latency, throughput and memory of both assistants, served the same way."""
    from bench.stack import running_stack, wait_for
    from tests.assistant.conftest import free_port

    results: dict = {}
    print("[stadtlotse] starting open-data server, action server and Rasa ...", flush=True)
    with running_stack(env, work) as processes:
        url = f"http://127.0.0.1:{env['RASA_PORT']}/webhooks/rest/webhook"
        results["stadtlotse"] = measure(
            "stadtlotse", url, STADTLOTSE_MESSAGES, [p.pid for p in processes], quick
        )
    bare_port = str(free_port())
    bare_model = next((bare / "models").glob("*.tar.gz"))
    process = start(
        [str(VENV / "rasa"), "run", "--model", str(bare_model), "--port", bare_port],
        {**env, "PYTHONPATH": ""},
        bare,
        work / "bare.log",
    )
    try:
        wait_for(f"http://127.0.0.1:{bare_port}/")
        url = f"http://127.0.0.1:{bare_port}/webhooks/rest/webhook"
        results["bare"] = measure("bare", url, BARE_MESSAGES, [process.pid], quick)
    finally:
        process.terminate()
        process.wait(timeout=30)
    ours, ref = results["stadtlotse"], results["bare"]
    results["ratios"] = {
        "single_user_p50": ours["single_user_p50_ms"] / ref["single_user_p50_ms"],
        "saturation_throughput": ours["saturation_msg_s"] / ref["saturation_msg_s"],
        "open_load_p95": ours["open_load_p95_ms"] / ref["open_load_p95_ms"],
        "peak_rss": ours["peak_rss_mb"] / ref["peak_rss_mb"],
    }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (for a smoke test)")
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument(
        "--training-only",
        action="store_true",
        help="only the training times, merged into the existing results file",
    )
    args = parser.parse_args()
    from bench.stack import stack_env
    from bot.launcher import build_and_train, environment

    work = ROOT / "build" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    build_and_train(environment())
    env = stack_env(work)
    bare = bare_assistant(work, env)
    # A partial run keeps the other part's figures (each part records when it was measured).
    keep = (args.training_only or args.skip_training) and RESULTS.exists()
    results = json.loads(RESULTS.read_text()) if keep else {}
    results["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "memory_gb": round(psutil.virtual_memory().total / 2**30),
    }
    if not args.training_only:
        results.update(serving(env, work, bare, args.quick))
        results["serving_measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    if not args.skip_training:
        runs = 1 if args.quick else 3
        training = results["training"] = train_times(env, work, bare, runs)
        results.setdefault("ratios", {})["full_training"] = (
            training["full_training_s"] / training["bare_full_training_s"]
        )
        results["training_measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    results["targets"] = {
        "single_user_p50_ratio_max": 1.5,
        "open_load_p95_ms_max": 300,
        "saturation_ratio_min": 1.0,
        "full_training_s_max": 180,
        "peak_rss_mb_max": 1536,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2))
    print(json.dumps(results["ratios"], indent=2))
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
