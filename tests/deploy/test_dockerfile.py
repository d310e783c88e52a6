"""The code location's Dockerfile: clean under hadolint, and shaped the way ECS and the
EcsRunLauncher need it (see docs/deploying.md)."""

from __future__ import annotations

import json
import re
import subprocess
import tomllib

from docker.utils.build import PatternMatcher
from dockerfile_parse import DockerfileParser
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.deploy.tools import REPO, infra_tool

DOCKERFILE = REPO / "Dockerfile"
LOCK = REPO / "deploy" / "requirements.lock"
CODE_SERVER_CMD = ["dagster", "code-server", "start", "-h", "0.0.0.0", "-p", "4000", "-m", "clawbot_assets.definitions"]
HEALTHCHECK_CMD = ["python", "-m", "clawbot_assets.instance.healthcheck", "code-server", "--port", "4000"]


def instructions() -> list[tuple[str, str]]:
    parser = DockerfileParser(path=str(DOCKERFILE))
    return [(item["instruction"], item["value"]) for item in parser.structure]


def index_of(predicate, what: str) -> int:
    for index, (instruction, value) in enumerate(instructions()):
        if predicate(instruction, value):
            return index
    raise AssertionError(f"no {what} in the Dockerfile")


def healthcheck_command(value: str) -> list[str]:
    """The exec-form command of ``HEALTHCHECK [options] CMD [...]``."""
    match = re.search(r"\bCMD\s+(\[.*\])\s*$", value, re.DOTALL)
    assert match, f"HEALTHCHECK is not in exec form: {value!r}"
    return json.loads(match.group(1))


def test_hadolint_finds_nothing():
    hadolint = infra_tool("hadolint")
    result = subprocess.run([str(hadolint), "--no-color", str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_every_hadolint_ignore_gives_its_reason():
    for line in DOCKERFILE.read_text().splitlines():
        if "hadolint ignore=" in line:
            assert re.search(r"ignore=\S+\s+\S", line), f"an ignore without a reason: {line!r}"


def test_base_image_user_and_commands():
    parser = DockerfileParser(path=str(DOCKERFILE))
    assert parser.baseimage == "python:3.11-slim"
    found = instructions()
    users = [value for instruction, value in found if instruction == "USER"]
    assert users, "the image must not run as root"
    user, _, group = users[-1].partition(":")
    assert user.isdigit() and int(user) != 0, f"USER must be a numeric non-root uid, not {users[-1]!r}"
    assert not group or (group.isdigit() and int(group) != 0)
    cmds = [value for instruction, value in found if instruction == "CMD"]
    assert len(cmds) == 1 and json.loads(cmds[0]) == CODE_SERVER_CMD, "CMD must be the exec-form code server"
    assert not [value for instruction, value in found if instruction == "ENTRYPOINT"], (
        "no ENTRYPOINT: the EcsRunLauncher replaces the command, and an entrypoint would be prepended to it"
    )
    healthchecks = [value for instruction, value in found if instruction == "HEALTHCHECK"]
    assert len(healthchecks) == 1 and healthcheck_command(healthchecks[0]) == HEALTHCHECK_CMD


def test_pinned_requirements_are_installed_before_the_source_is_copied():
    copy_lock = index_of(lambda i, v: i == "COPY" and "deploy/requirements.lock" in v, "COPY of the lock")
    install_lock = index_of(lambda i, v: i == "RUN" and "pip install" in v and "requirements.lock" in v, "install of the lock")
    copy_source = index_of(lambda i, v: i == "COPY" and "clawbot_assets" in v, "COPY of the source")
    install_project = index_of(lambda i, v: i == "RUN" and "pip install" in v and "--no-deps" in v, "install of the project")
    assert copy_lock < install_lock < copy_source < install_project
    first_source_copy = index_of(lambda i, v: i == "COPY" and "requirements.lock" not in v, "COPY of anything else")
    assert first_source_copy > install_lock, "nothing but the lock may be copied before the dependencies are installed"


def test_the_image_carries_the_production_instance_config():
    found = instructions()
    env = " ".join(value for instruction, value in found if instruction == "ENV")
    home = re.search(r"DAGSTER_HOME=(\S+)", env)
    assert home, "DAGSTER_HOME must be set: run workers launched from this image load the instance from it"
    assert any(instruction == "COPY" and value.split()[0] == "deploy/dagster.yaml" and value.split()[-1] == f"{home.group(1)}/dagster.yaml"
               for instruction, value in found)


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, separator, version = line.partition("==")
        assert separator and version and " " not in version, f"not pinned with ==: {line!r}"
        pins[canonicalize_name(name)] = version
    return pins


def test_the_lock_pins_every_runtime_dependency_within_its_range():
    dependencies = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = lock_pins()
    for dependency in dependencies:
        requirement = Requirement(dependency)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement.name} is not in deploy/requirements.lock: run scripts/lock.sh"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{requirement.name}=={pins[name]} in the lock is outside {requirement.specifier}: run scripts/lock.sh"
        )
    assert "clawbot-dagster" not in pins, "the project itself is installed from source, not from the lock"


def dockerignore(text: str) -> PatternMatcher:
    """Docker's own matcher (docker-py's port of moby's patternmatcher), fed the lines as
    ``docker build`` reads them: stripped, without blanks and comments."""
    return PatternMatcher([line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")])


def test_the_dockerignore_matcher_follows_dockers_rules():
    """The cases this file relies on, as Docker documents them."""
    matcher = dockerignore(".env\n*.db\n**/*.sqlite\ntests\ndeploy/*\n!deploy/dagster.yaml\n/root.txt\n")
    assert matcher.matches(".env")
    assert not matcher.matches("clawbot_assets/.env"), "a plain pattern is anchored at the root"
    assert matcher.matches("x.db") and not matcher.matches("a/x.db")
    assert matcher.matches("x.sqlite") and matcher.matches("a/b/x.sqlite")
    assert matcher.matches("tests/deploy/test_dockerfile.py"), "a directory takes its contents"
    assert matcher.matches("deploy/requirements.lock")
    assert not matcher.matches("deploy/dagster.yaml"), "the last matching line decides"
    assert matcher.matches("root.txt")


#: Paths that must never reach the build context, wherever they sit.
LOCAL_STATE = (
    ".env", ".env.local", "clawbot_assets/.env", "clawbot_assets/.env.production", "sensors/.env",
    "clawbot_assets/defs/.env", "local.sqlite", "clawbot_assets/cache/limits.sqlite", "clawbot_assets/x.sqlite3",
    "clawbot_assets/x.sqlite-wal", "clawbot_assets/x.sqlite-journal", "schedules/state.db", "clawbot_assets/a/b/c.db",
    ".venv/bin/python", ".venv-infra/bin/checkov", ".dagster_home/dagster.yaml", ".local_data/alerts.jsonl",
    "clawbot_assets/.local_data/queue.sqlite", ".git/config", "tests/conftest.py", "docs/deploying.md",
    "deploy/cloudformation/clawbot.yaml", "clawbot_assets/__pycache__/names.cpython-311.pyc",
)


def test_dockerignore_keeps_what_the_image_copies_and_drops_local_state():
    matcher = dockerignore((REPO / ".dockerignore").read_text())
    for path in LOCAL_STATE:
        assert matcher.matches(path), f"{path} would be sent to the Docker daemon and may land in the image"
    kept = ("deploy/requirements.lock", "deploy/dagster.yaml", "deploy/run_config/dlq_redrive.yaml", "pyproject.toml", "workspace.yaml",
            "clawbot_assets/defs/.local_defs_state/playbook_schedules/state.json")
    for path in kept:
        assert not matcher.matches(path), f"{path} is needed in the image"
    # Every tracked file the Dockerfile copies reaches the build context.
    tracked = subprocess.run(["git", "ls-files", "clawbot_assets", "schedules", "sensors"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout.split()
    assert len(tracked) > 50
    dropped = [path for path in tracked if matcher.matches(path)]
    assert not dropped, dropped
