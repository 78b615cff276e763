"""The engine stays pure: importing it loads no web, database or data-frame library."""

from __future__ import annotations

import subprocess
import sys


def test_matcher_imports_no_flask_sqlalchemy_or_pandas() -> None:
    script = (
        "import sys, pkgutil, importlib, matcher\n"
        "for module in pkgutil.iter_modules(matcher.__path__):\n"
        "    importlib.import_module('matcher.' + module.name)\n"
        "print(sorted(m for m in ('flask', 'sqlalchemy', 'pandas', 'models', 'web')\n"
        "             if m in sys.modules))\n"
        "print(len([m for m in sys.modules if m.startswith('matcher.')]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    loaded, submodules = done.stdout.splitlines()
    assert loaded == "[]"
    assert int(submodules) >= 10  # every module of the package was imported
