"""Which paths a ``.dockerignore`` keeps out of the build context, decided the way Docker does.

A port of the rules of github.com/moby/patternmatcher (``PatternMatcher.MatchesOrParentMatches``)
and of the ignore-file reader (``ignorefile.ReadAll``) that BuildKit and the docker CLI use:

- one pattern a line; blank lines and lines starting with ``#`` are skipped; a leading ``!``
  makes an exception; the pattern is cleaned like ``filepath.Clean`` and a leading ``/`` dropped;
- a pattern matches the whole path relative to the context root (``.env`` is the root's
  ``.env`` only, never ``clawbot_assets/.env``), or any of its parent directories (``tests``
  excludes ``tests/x.py``);
- ``*`` is any run of characters but ``/``, ``?`` one such character, ``[...]`` a class,
  ``**`` any number of whole directories, zero included (``**/.env`` matches ``.env`` too);
- every pattern is tried in order and the last one that matches decides.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pattern:
    text: str
    exclusion: bool  # a "!" line: matching paths are kept
    regex: re.Pattern[str]


def _compile(pattern: str) -> re.Pattern[str]:
    """patternmatcher's ``Pattern.compile`` for ``/`` as the separator."""
    out = "^"
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*":
            if i + 1 < len(pattern) and pattern[i + 1] == "*":
                i += 1
                if i + 1 < len(pattern) and pattern[i + 1] == "/":  # "**/" is read as "**"
                    i += 1
                out += ".*" if i + 1 >= len(pattern) else "(.*/)?"
            else:
                out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        elif ch in "[]":
            out += ch  # character classes pass through, as in Go's regexp
        else:
            out += re.escape(ch)
        i += 1
    return re.compile(out + "$")


def read_patterns(text: str) -> list[Pattern]:
    patterns = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        if exclusion:
            line = line[1:].strip()
        line = posixpath.normpath(line).lstrip("/") if line not in ("", "/") else line
        if not line:
            continue
        patterns.append(Pattern(line, exclusion, _compile(line)))
    return patterns


def is_excluded(path: str, patterns: list[Pattern]) -> bool:
    """Whether ``path`` (relative to the context root, ``/``-separated) is left out."""
    path = posixpath.normpath(path)
    parents = path.split("/")[:-1]
    excluded = False
    for pattern in patterns:
        match = bool(pattern.regex.match(path))
        if not match:
            match = any(pattern.regex.match("/".join(parents[: i + 1])) for i in range(len(parents)))
        if match:
            excluded = not pattern.exclusion
    return excluded


def load(path: Path) -> list[Pattern]:
    return read_patterns(path.read_text())
