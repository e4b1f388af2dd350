"""The Dockerfile and README install what pyproject.toml declares."""

from __future__ import annotations

import re
import subprocess
import sys
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


def test_the_running_bot_does_not_load_the_export_libraries() -> None:
    """openpyxl, python-docx and matplotlib load only for an export, minutes or a picture:
    they would otherwise add ~27 MB to the idle bot (issue 8's memory target)."""
    code = (
        "import sys, bot.app, bot.__main__\n"
        "print(sorted(m for m in ('openpyxl', 'docx', 'matplotlib', 'numpy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
