"""The layer contracts in pyproject.toml hold, name every module and fail on an upward import.

`make lint` runs lint-imports on the tree; these tests prove the contracts still mean something:
a module left out of its app's layers is not checked, and a contract that passes an upward import
checks nothing.
"""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"][
    "importlinter"
]
PACKAGES = CONFIG["root_packages"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def layer_names(contract):
    return {
        name.strip() for layer in contract["layers"] for name in layer.replace("|", ":").split(":")
    }


def contract_for(container):
    (contract,) = (c for c in CONFIG["contracts"] if c.get("containers") == [container])
    return contract


def modules_of(package):
    """The modules and subpackages directly inside a package, but its migrations and app config."""
    folder = ROOT.joinpath(*package.split("."))
    names = {path.stem for path in folder.glob("*.py")} | {
        path.parent.name for path in folder.glob("*/__init__.py")
    }
    return names - {"__init__", "apps", "migrations"}


@pytest.mark.parametrize(
    "container", ["communities", "communities.returns", "ratings", "services", "portal"]
)
def test_every_module_of_an_app_has_a_layer(container):
    assert modules_of(container) - layer_names(contract_for(container)) == set()


def test_every_root_package_has_a_layer():
    (top,) = (c for c in CONFIG["contracts"] if "containers" not in c)
    assert layer_names(top) == set(PACKAGES)


def lint_imports(tree):
    return subprocess.run(  # noqa: S603 (our own lint-imports on a copy of our sources)
        [str(LINT_IMPORTS), "--no-cache", str(tree / "pyproject.toml")],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A copy of the sources, to add imports to."""
    tree = tmp_path_factory.mktemp("layers")
    shutil.copy(ROOT / "pyproject.toml", tree)
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tree / package,
            ignore=shutil.ignore_patterns("__pycache__", "migrations", "*.html", "*.css", "*.js"),
        )
    return tree


ROOF_APPS_FLOOR = "Roof → apps → floor"


@pytest.mark.parametrize(
    "module, upward, contract",
    [
        # The floor imports an app.
        ("chunan_community/paging.py", "import communities.models", ROOF_APPS_FLOOR),
        # Two apps import each other (ratings already imports communities).
        ("communities/queries.py", "from ratings import queries", ROOF_APPS_FLOOR),
        # An app imports the roof.
        ("services/models.py", "from portal import dashboard", ROOF_APPS_FLOOR),
        # Inside an app: the models ask a form, the domain asks a view.
        (
            "communities/returns/models.py",
            "from communities.returns import forms",
            "communities.returns:",
        ),
        ("ratings/domain.py", "from ratings import views", "ratings:"),
    ],
)
def test_an_upward_import_breaks_a_contract(tree, module, upward, contract):
    path = tree / module
    original = path.read_text(encoding="utf-8")
    path.write_text(f"{original}\n{upward}  # noqa\n", encoding="utf-8")
    try:
        result = lint_imports(tree)
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.returncode == 1, result.stdout + result.stderr
    broken = [line for line in result.stdout.splitlines() if line.endswith(" BROKEN")]
    assert [line for line in broken if line.startswith(contract)], result.stdout


def test_the_tree_keeps_every_contract(tree):
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONFIG['contracts'])} kept, 0 broken." in result.stdout
