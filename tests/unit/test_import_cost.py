"""Every `refbot` command starts by importing the services; scikit-learn (about
1.5 s of import here) must load only where a model is trained or read."""

from __future__ import annotations

import subprocess
import sys


def loaded_after(statement: str) -> set[str]:
    probe = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    return set(out.split())


def test_the_services_and_the_cli_do_not_import_scikit_learn():
    assert "sklearn" not in loaded_after("import refbot.services, bot.cli")


def test_naming_a_model_still_finds_it():
    assert "sklearn" in loaded_after("from recommender import ChurnModel")


def test_no_package_name_is_shadowed_by_a_submodule():
    import pkgutil

    import recommender

    submodules = {module.name for module in pkgutil.iter_modules(recommender.__path__)}
    assert not set(recommender.__all__) & submodules
