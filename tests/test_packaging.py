"""The Dockerfile and README install what pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_dockerfile_copies_every_package_and_compiles_catalogs() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = [
        p.rstrip("*") for p in project["tool"]["setuptools"]["packages"]["find"]["include"]
    ]
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    for package in packages:
        assert re.search(rf"^COPY {package} \./{package}$", dockerfile, re.M), package
    assert "pybabel compile -d locales -D messages" in dockerfile
    assert "pip install --no-cache-dir ." in dockerfile
    assert 'CMD ["python", "-m", "bot", "run"]' in dockerfile
    assert 'CMD ["python", "-m", "bot", "health"]' in dockerfile


def test_readme_commands_install_the_project_the_same_way() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install -e . && TELEGRAM_BOT_TOKEN=" in readme
    assert "python -m bot run" in readme
    assert "<!-- test-command -->" in readme
    assert "pip install -q -e '.[test]'" in readme
