"""The dependency direction handlers → bot.services → db, checked on the imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _files(*parts: str) -> list[Path]:
    base = ROOT.joinpath(*parts)
    if base.is_dir():
        return sorted(base.rglob("*.py"))
    return [base] if base.exists() else []


@pytest.mark.parametrize(
    "path",
    _files("bot", "services")
    + [
        ROOT / "bot" / n
        for n in (
            "domain.py",
            "dates.py",
            "options.py",
            "files.py",
            "live.py",
            "schedule.py",
            "tally.py",
        )
    ],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_domain_and_services_never_import_telegram(path: Path) -> None:
    bad = {m for m in _imports(path) if m.split(".")[0] in ("telegram", "handlers")}
    assert bad == set()


@pytest.mark.parametrize("path", _files("db"), ids=lambda p: str(p.relative_to(ROOT)))
def test_db_imports_neither_telegram_nor_services(path: Path) -> None:
    bad = {
        m
        for m in _imports(path)
        if m.split(".")[0] in ("telegram", "handlers") or m.startswith("bot.services")
    }
    assert bad == set()


@pytest.mark.parametrize("path", _files("handlers"), ids=lambda p: str(p.relative_to(ROOT)))
def test_handlers_do_not_write_sql(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    for keyword in ("SELECT ", "INSERT ", "UPDATE ", "DELETE ", "db.read()", "db.transaction()"):
        # Handlers make Telegram calls; holding the database across one would stall everyone.
        assert keyword not in source, f"{path.name} reaches the database ({keyword.strip()})"


@pytest.mark.parametrize("path", _files("handlers"), ids=lambda p: str(p.relative_to(ROOT)))
def test_handlers_reach_the_database_only_through_services(path: Path) -> None:
    bad = {m for m in _imports(path) if m.split(".")[0] == "db" and m != "db.connection"}
    assert bad == set()


@pytest.mark.parametrize(
    "path", _files("handlers") + _files("bot"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_translations_are_bound_to_extractable_names(path: Path) -> None:
    # pybabel extracts only _(), gettext(), ngettext() and N_(): a catalog bound to any
    # other name would leave its strings out of the catalogs, untranslated.
    source = path.read_text(encoding="utf-8")
    import re

    bad = re.findall(r"^\s*(\w+)\s*=\s*.*\.gettext\s*$", source, re.M)
    assert [name for name in bad if name != "_"] == []
