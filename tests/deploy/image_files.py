"""The files the code location image holds, computed from what builds it: the tracked files of
the repository, minus what .dockerignore keeps out of the build context (Docker's own matcher),
placed where the Dockerfile's COPY instructions put them. No Docker daemon needed."""

from __future__ import annotations

import posixpath
import subprocess

from tests.deploy.test_dockerfile import dockerignore, instructions
from tests.deploy.tools import REPO


def build_context() -> list[str]:
    """Tracked files that reach the Docker daemon (a clean checkout, as CI builds it)."""
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    matcher = dockerignore((REPO / ".dockerignore").read_text())
    return [path for path in tracked if not matcher.matches(path)]


def workdir() -> str:
    (found,) = [value for instruction, value in instructions() if instruction == "WORKDIR"]
    return found


def image_files() -> set[str]:
    """Absolute paths, in the image, of every file the Dockerfile copies from the context."""
    context = build_context()
    files: set[str] = set()
    current = "/"
    for instruction, value in instructions():
        if instruction == "WORKDIR":
            current = posixpath.join(current, value)
        if instruction != "COPY":
            continue
        *sources, destination = [part for part in value.split() if not part.startswith("--")]
        into_directory = destination.endswith("/") or len(sources) > 1
        destination = posixpath.normpath(posixpath.join(current, destination))
        for source in sources:
            source = source.rstrip("/")
            for path in context:
                if path == source:
                    files.add(posixpath.join(destination, posixpath.basename(path)) if into_directory else destination)
                elif path.startswith(source + "/"):
                    files.add(posixpath.join(destination, path[len(source) + 1:]))
    return files
