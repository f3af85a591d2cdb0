"""The transport is not the model: switching the captioner to the Batch API after captioning
repays nothing that is done."""

from __future__ import annotations

from pathlib import Path

from caption.captionkit import project_config
from caption.test_stage import GOOD_EN
from visinstruct.caption import CaptionStage
from visinstruct.collect import collect_folder
from visinstruct.project import Project

from conftest import make_images
from fakeserver import FakeOpenAIServer


def test_switching_to_openai_batch_after_captioning_redoes_no_unit(
    tmp_path: Path, api_key: str, open_projects: list[Project]
) -> None:
    make_images(tmp_path / "images", {"landmark": 4})
    with FakeOpenAIServer(lambda body: GOOD_EN, api_key=api_key) as server:
        project = Project(tmp_path / "project", project_config(server.base_url))
        open_projects.append(project)
        collect_folder(project.store, tmp_path / "images", "landmark")
        first = project.caption()
        assert (first.done, first.failed) == (4, 0)
        calls = len(server.chat_requests)
        direct = CaptionStage.hash_of(project.config)
        spec = project.config.models.get("captioner")
        project.config.models.captioner = spec.model_copy(update={"backend": "openai-batch"})
        assert CaptionStage.hash_of(project.config) == direct
        again = project.caption()
        assert (again.done, again.done_before, again.total) == (0, 4, 4)
        assert len(server.chat_requests) == calls
        assert project.store.count_batches() == 0  # nothing was submitted either
