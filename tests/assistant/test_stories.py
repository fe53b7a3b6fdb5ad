"""Rasa's own checks on the trained model: data validation and the test stories."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.assistant.conftest import ROOT, VENV


def rasa(*args: str, env: dict[str, str], tmp: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VENV / "rasa"), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )


def test_rasa_data_validate_passes(
    stack_env: dict[str, str], trained_model: Path, tmp_path: Path
) -> None:
    result = rasa(
        "data",
        "validate",
        "--data",
        "nlu_data",
        "build/nlu",
        "-d",
        "domain.yml",
        "--config",
        "config.yml",
        env=stack_env,
        tmp=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_test_stories_have_no_prediction_errors(
    stack_env: dict[str, str], trained_model: Path, tmp_path: Path
) -> None:
    result = rasa(
        "test",
        "core",
        "--stories",
        "tests/stories",
        "--model",
        str(trained_model),
        "--out",
        str(tmp_path),
        "--fail-on-prediction-errors",
        env=stack_env,
        tmp=tmp_path,
    )
    failed = tmp_path / "failed_test_stories.yml"
    details = failed.read_text() if failed.exists() else ""
    assert result.returncode == 0, details[-4000:] or (
        result.stdout[-3000:] + result.stderr[-3000:]
    )
