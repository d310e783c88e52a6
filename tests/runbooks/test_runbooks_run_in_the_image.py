"""In production the runbooks' commands run in a shell inside the code server's task (ECS Exec,
docs/runbooks/README.md), from the image's working directory. Every file a runbook's commands
name there (run configs after ``-c``, the workspace after ``-w``, modules after ``-m``, the
project modules its scripts import) must be in the image: checked against the image's file
list as the Dockerfile and .dockerignore build it (tests/deploy/image_files.py)."""

from __future__ import annotations

import posixpath
import re

import pytest

from tests.deploy.image_files import image_files, workdir
from tests.runbooks.drill import ROOT, RUNBOOKS

PAGES = sorted(path.stem for path in RUNBOOKS.glob("*.md") if path.name != "README.md")
FENCED = re.compile(r"^[ \t]*```(?:bash|sh|python)\n(.*?)^[ \t]*```", re.S | re.M)
#: Scratch files a runbook has the operator write (under /tmp) or that come from elsewhere.
NOT_FROM_THE_IMAGE = ("/tmp/", "/dev/")
PROJECT_PACKAGES = ("clawbot_assets", "schedules", "sensors")


def module_files(module: str) -> set[str]:
    """The file a module import needs, as a path relative to the project root: ``a/b.py`` or
    ``a/b/__init__.py`` (whichever the repository has)."""
    base = module.replace(".", "/")
    return {candidate for candidate in (f"{base}.py", f"{base}/__init__.py") if (ROOT / candidate).exists()}


def needed_files(text: str) -> set[str]:
    """Files, relative to the working directory (or absolute), that the page's commands name."""
    commands = "\n".join(FENCED.findall(text))
    needed = set(re.findall(r"(?:^|[\s`(])-[cwf] ([^\s'\"]+\.ya?ml)\b", text))
    needed |= set(re.findall(r"--(?:config|workspace) ([^\s'\"]+\.ya?ml)\b", commands))
    for module in re.findall(r"(?:^|\s)-m ([A-Za-z_][\w.]*)", commands):
        if module.split(".")[0] in PROJECT_PACKAGES:
            needed |= module_files(module) or {f"{module.replace('.', '/')}.py"}
    for module in re.findall(r"(?:from|import) ((?:%s)(?:\.\w+)*)" % "|".join(PROJECT_PACKAGES), commands):
        needed |= module_files(module) or {f"{module.replace('.', '/')}.py"}
    return {path for path in needed if not path.startswith(NOT_FROM_THE_IMAGE)}


@pytest.fixture(scope="module")
def files_in_image() -> set[str]:
    return image_files()


def test_the_image_file_list_is_the_image(files_in_image):
    """The list is not empty or wrong by construction: it holds what the image must run."""
    app = workdir()
    assert f"{app}/clawbot_assets/definitions.py" in files_in_image
    assert f"{app}/workspace.yaml" in files_in_image
    assert "/opt/dagster/dagster_home/dagster.yaml" in files_in_image
    assert not any("/tests/" in path or path.endswith(".md") for path in files_in_image)


@pytest.mark.parametrize("page", PAGES)
def test_every_file_a_runbook_command_needs_is_in_the_image(page, files_in_image):
    text = (RUNBOOKS / f"{page}.md").read_text()
    needed = needed_files(text)
    missing = sorted(path for path in needed if posixpath.normpath(posixpath.join(workdir(), path)) not in files_in_image)
    assert not missing, f"{page}.md needs {missing}, which the image does not hold (Dockerfile COPY, .dockerignore)"


def test_the_run_configs_the_runbooks_pass_are_found():
    """The extraction sees the run configs (so the test above is not vacuous)."""
    found = set()
    for page in PAGES:
        found |= needed_files((RUNBOOKS / f"{page}.md").read_text())
    assert {"deploy/run_config/dlq_redrive.yaml", "deploy/run_config/dlq_redrive_delete_malformed.yaml",
            "deploy/run_config/dedupe_full_pass.yaml", "workspace.yaml", "clawbot_assets/definitions.py"} <= found
