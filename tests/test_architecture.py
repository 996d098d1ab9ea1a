"""Imports point one way: config -> autodiff -> ops -> layers -> models -> trainers."""

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "minikeras"

# What each low-level part may import from minikeras (every import statement counts, also
# the ones inside functions).
ALLOWED = {
    "config.py": {"config"},
    "tree.py": set(),
    "autodiff": {"config", "autodiff", "tree"},
    "random.py": {"config", "autodiff", "ops", "tree"},
    "ops": {"config", "autodiff", "ops", "random", "tree"},
    "layers": {
        "config",
        "autodiff",
        "ops",
        "tree",
        "random",
        "layers",
        "utils",
        "activations",
        "initializers",
        "regularizers",
        "constraints",
        "metrics",
        "saving",
    },
}


def imported_parts(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "minikeras":
                names = [f"minikeras.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "minikeras" and len(parts) > 1:
                yield parts[1].removesuffix(".py"), node.lineno


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_lower_layers_do_not_import_higher_ones(part):
    root = PACKAGE / part
    files = [root] if root.is_file() else sorted(root.rglob("*.py"))
    allowed = {name.removesuffix(".py") for name in ALLOWED[part]}
    violations = [
        f"{path.relative_to(PACKAGE)}:{line} imports minikeras.{name}"
        for path in files
        for name, line in imported_parts(path)
        if name not in allowed
    ]
    assert not violations, "\n".join(violations)
