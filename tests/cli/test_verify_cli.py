"""``visinstruct verify`` as a user runs it, against the scripted test server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from verify.planted import build
from verify.responder import VerifierResponder
from verify.test_planted import KEY_ENV, config_for
from visinstruct.cli.main import main
from visinstruct.config import ModelSpec
from visinstruct.verify import runs_in_run

from fakeserver import FakeOpenAIServer


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(KEY_ENV, "verify-key")


def test_verify_prints_the_report_and_writes_json(tmp_path: Path) -> None:
    with FakeOpenAIServer(api_key="verify-key") as server:
        planted = build(tmp_path, config_for(server.base_url))
        server.responder = VerifierResponder(planted.truth)
        planted.project.save_config()
        root = planted.project.root
        planted.project.close()
        out = tmp_path / "report.json"
        result = CliRunner().invoke(
            main, ["verify", "--project", str(root), "--report-json", str(out)]
        )
        assert result.exit_code == 0, result.output
        again = CliRunner().invoke(main, ["verify", "--project", str(root), "--json"])
    assert "checks" in result.output and "per domain" in result.output
    assert "Yes/No per domain" in result.output
    assert "instructions flagged" in result.output
    report = json.loads(out.read_text())
    assert report["checks"]["duplicate"]["flagged"] == 20
    assert json.loads(again.stdout)["flagged"] == report["flagged"]
    assert (root / "exports" / "verify_report.json").is_file()


def test_verify_with_model_option_and_no_configured_verifier(tmp_path: Path) -> None:
    with FakeOpenAIServer(api_key="verify-key") as server:
        config = config_for(server.base_url)
        config.models.verifier = None
        planted = build(tmp_path, config)
        server.responder = VerifierResponder(planted.truth)
        planted.project.save_config()
        root = planted.project.root
        planted.project.close()
        local = CliRunner().invoke(main, ["verify", "-p", str(root), "--json"])
        assert local.exit_code == 0, local.output
        assert server.chat_count == 0
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "verify-key"}
        model = CliRunner(env=env).invoke(
            main, ["verify", "-p", str(root), "--model", "fake-model", "--json"]
        )
        assert model.exit_code == 0, model.output
        assert server.chat_count > 0
    assert json.loads(local.stdout)["notes"]
    assert json.loads(model.stdout)["model_stages"]["verify_answer"]["done"] > 0


def test_run_verifies_only_when_enabled() -> None:
    from visinstruct.config import ProjectConfig

    config = ProjectConfig()
    assert not runs_in_run(config)  # `run --model M` sets captioner and generator only
    config.models.verifier = ModelSpec(model="cheap")
    assert runs_in_run(config)
    config.verify.enabled = False
    assert not runs_in_run(config)
