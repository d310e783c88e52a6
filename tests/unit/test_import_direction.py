"""The demo sits on top: it may import the adapters and resources, never the other way round.
Each local adapter owns its first-use fixture, so nothing the code location runs imports
``clawbot_assets.demo``, not even inside a function."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = "clawbot_assets.demo"


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path = ROOT) -> set[str]:
    """Every module ``path`` imports, at the top or inside a function, relative imports resolved."""
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
            module = ".".join(part for part in (base, node.module or "") if part)
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def code_location_modules() -> list[Path]:
    packages = [ROOT / "clawbot_assets", ROOT / "schedules", ROOT / "sensors"]
    return [path for package in packages for path in package.rglob("*.py") if DEMO.replace(".", "/") not in path.as_posix()]


def imports_the_demo(path: Path, root: Path = ROOT) -> bool:
    return any(name == DEMO or name.startswith(DEMO + ".") for name in imported_modules(path, root))


def test_nothing_the_code_location_runs_imports_the_demo():
    modules = code_location_modules()
    assert any("resources" in path.parts for path in modules) and any("adapters" in path.parts for path in modules)
    assert [str(path.relative_to(ROOT)) for path in modules if imports_the_demo(path)] == []


def test_the_demo_imports_the_local_adapters_fixtures():
    """The walker sees what it must: the demo's own imports, relative and lazy ones included."""
    seed = imported_modules(ROOT / "clawbot_assets" / "demo" / "seed.py")
    assert {"clawbot_assets.adapters.ssot_local_fixture", "clawbot_assets.adapters.crm_local_fixture"} <= seed


def test_a_lazy_or_relative_import_of_the_demo_is_caught(tmp_path):
    package = tmp_path / "clawbot_assets" / "resources"
    package.mkdir(parents=True)
    lazy = package / "lazy.py"
    lazy.write_text("def client():\n    from clawbot_assets.demo.seed import seed_demo\n")
    relative = package / "relative.py"
    relative.write_text("from ..demo import data\n")
    clean = package / "clean.py"
    clean.write_text("from ..adapters import ssot_local\nimport clawbot_assets.demographics\n")
    assert imports_the_demo(lazy, tmp_path) and imports_the_demo(relative, tmp_path)
    assert not imports_the_demo(clean, tmp_path)
