"""The package order of docs/architecture.md, enforced on the code's import statements.

Every `import` and `from ... import` of a minikeras module is read with `ast` (nothing is
imported). An import at the top of a module (or in a class body) runs when the module
loads: those form the module graph, which must have no cycle. An import inside a function
runs when the function is called.
"""

import ast
import importlib.util
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "minikeras"


def module_name(path):
    """`minikeras/layers/core/dense.py` -> `minikeras.layers.core.dense`."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _targets(node, importer, is_package):
    """The minikeras modules an import statement names (a submodule in `from x import y`
    counts as itself, not as its package)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative import
            parts = importer.split(".")[: len(importer.split(".")) - (not is_package)]
            parts = parts[: len(parts) - node.level + 1]
            base = ".".join(parts + ([base] if base else []))
        submodules = [f"{base}.{alias.name}" for alias in node.names]
        names = [name for name in submodules if name in MODULES]
        if len(names) < len(submodules):
            names.append(base)
    return [name for name in names if name.split(".")[0] == "minikeras"]


def imports_of(module):
    """`[(imported module, line, at_module_level), ...]` for one minikeras module."""
    path = MODULES[module]
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for target in _targets(child, module, path.name == "__init__.py"):
                    found.append((target, child.lineno, not in_function))
            nested = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            visit(child, in_function or nested)

    visit(ast.parse(path.read_text()), False)
    return found


def loaded_by(importer, target):
    """The modules Python runs for `import target` from `importer`: the target and the
    packages above it that `importer` is not already inside."""
    parts = target.split(".")
    packages = [".".join(parts[:end]) for end in range(2, len(parts))]
    return [name for name in [*packages, target] if not importer.startswith(name + ".")]


def module_graph():
    """`{module: set of modules it loads at import time}`."""
    return {
        module: {
            loaded
            for target, _, at_module_level in imports_of(module)
            if at_module_level
            for loaded in loaded_by(module, target)
            if loaded != module
        }
        for module in MODULES
    }


def find_cycle(graph):
    """One cycle of `graph` as a list of nodes (first == last), or None. Iterative DFS."""
    state = dict.fromkeys(graph, 0)  # 0 new, 1 on the current path, 2 done
    for start in graph:
        if state[start]:
            continue
        path, stack = [start], [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            successor = next(stack[-1], None)
            if successor is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(successor) == 1:
                return path[path.index(successor) :] + [successor]
            elif state.get(successor) == 0:
                state[successor] = 1
                path.append(successor)
                stack.append(iter(sorted(graph[successor])))
    return None


def test_find_cycle_finds_a_cycle_and_accepts_a_chain():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_module_level_imports_form_no_cycle():
    cycle = find_cycle(module_graph())
    assert cycle is None, "import cycle at module level: " + " -> ".join(cycle)


# The package order, left to right: a module imports at module level only from parts to
# its left (and from its own part, where the cycle test above keeps the order). `utils`
# sits at both edges: its small helpers (and `keras.utils` itself, whose other functions
# load lazily) import nothing from minikeras; its model tools reach models and saving.
ORDER = [
    "utils (helpers)",
    "config",
    "tree",
    "autodiff",
    "ops",
    "random",
    "activations",
    "initializers",
    "regularizers",
    "constraints",
    "layers",
    "losses",
    "metrics",
    "optimizers",
    "callbacks",
    "trainers",
    "models",
    "saving",
    "datasets",
    "utils (model tools)",
    "backend",
    "minikeras",  # the package's __init__: the public names
]
UTILS_MODEL_TOOLS = {"session", "model_visualization", "graph_visualization", "backend_utils"}
# The image and audio helpers resize with ops.image and read floatx.
UTILS_MODEL_TOOLS |= {"image_utils", "image_dataset", "audio_dataset"}

# The function-level imports that go against the order: (importer, imported) -> why.
AGAINST_THE_ORDER = {
    # The registry of user objects (`register_keras_serializable`, `custom_objects`:
    # saving/object_registration.py) and the config format of nested objects
    # (saving/serialization.py) live in saving; lower parts that have configs
    # made of other objects consult them when they (de)serialize.
    ("minikeras.activations", "minikeras.saving.object_registration"): (
        "registered user activations"
    ),
    ("minikeras.activations", "minikeras.saving.serialization"): (
        "user activations written as Keras writes them"
    ),
    ("minikeras.utils.object_registry", "minikeras.saving.object_registration"): (
        "initializers, regularizers and constraints: registered user classes"
    ),
    ("minikeras.utils.object_registry", "minikeras.saving.serialization"): (
        "initializers, regularizers and constraints: user classes written as Keras writes them"
    ),
    ("minikeras.layers", "minikeras.saving.serialization"): "layers.serialize/deserialize",
    ("minikeras.layers.rnn.rnn", "minikeras.saving.serialization"): "RNN's config nests its cell",
    ("minikeras.layers.rnn.bidirectional", "minikeras.saving.serialization"): (
        "Bidirectional's config nests its layers"
    ),
    ("minikeras.layers.rnn.stacked_rnn_cells", "minikeras.saving.serialization"): (
        "StackedRNNCells's config nests its cells"
    ),
    ("minikeras.layers.core.wrapper", "minikeras.saving.serialization"): (
        "a Wrapper's config nests its layer (TimeDistributed, SpectralNormalization)"
    ),
    ("minikeras.layers.preprocessing.text_vectorization", "minikeras.saving.serialization"): (
        "TextVectorization's config nests its standardize/split callables"
    ),
    ("minikeras.layers.preprocessing.pipeline", "minikeras.saving.serialization"): (
        "Pipeline's config nests its layers"
    ),
    ("minikeras.layers.preprocessing.index_lookup", "minikeras.saving.serialization"): (
        "reading a vocabulary file from a config is refused in safe mode"
    ),
    ("minikeras.losses.serialization", "minikeras.saving.object_registration"): (
        "registered user losses and metrics"
    ),
    ("minikeras.losses.serialization", "minikeras.saving.serialization"): (
        "user losses and metrics written as Keras writes them"
    ),
    ("minikeras.optimizers._serialization", "minikeras.saving.object_registration"): (
        "registered user optimizers and schedules"
    ),
    ("minikeras.optimizers._serialization", "minikeras.saving.serialization"): (
        "user optimizers and schedules written as Keras writes them"
    ),
    ("minikeras.trainers.trainer", "minikeras.saving.serialization"): (
        "the compile config nests the optimizer, losses and metrics"
    ),
    ("minikeras.models.functional_config", "minikeras.saving.serialization"): (
        "a Functional config nests its layers"
    ),
    ("minikeras.models.sequential", "minikeras.saving.serialization"): (
        "a Sequential config nests its layers"
    ),
    # The Keras API puts these methods and names below the code they call.
    ("minikeras.models.model", "minikeras.saving.saving_api"): (
        "Model.save/save_weights/load_weights/to_json call saving"
    ),
    ("minikeras.models", "minikeras.saving.saving_api"): (
        "keras.models.load_model/save_model/clone_model/model_from_json (lazily)"
    ),
    ("minikeras.layers.metric_tracking", "minikeras.metrics"): (
        "Layer.add_metric (the Keras 2 API) makes a metric; Layer.metrics finds them"
    ),
    ("minikeras.saving.saving_lib", "minikeras"): (
        "the .keras metadata records minikeras.__version__"
    ),
    ("minikeras.utils", "minikeras.random"): "keras.utils.set_random_seed seeds keras.random",
    ("minikeras.utils", "minikeras.saving.object_registration"): (
        "keras.utils re-exports the registration helpers of saving (lazily)"
    ),
    ("minikeras.utils", "minikeras.saving.serialization"): (
        "keras.utils re-exports the serialization helpers of saving (lazily)"
    ),
    ("minikeras.utils", "minikeras.utils.model_visualization"): "keras.utils.plot_model (lazily)",
    ("minikeras.utils", "minikeras.utils.graph_visualization"): "keras.utils.plot_graph (lazily)",
    ("minikeras.utils", "minikeras.utils.session"): "keras.utils.clear_session (lazily)",
    ("minikeras.utils", "minikeras.utils.backend_utils"): (
        "keras.utils.get_source_inputs, is_keras_tensor, standardize_dtype (lazily)"
    ),
    ("minikeras.utils", "minikeras.utils.image_utils"): "keras.utils.load_img, ... (lazily)",
    ("minikeras.utils", "minikeras.utils.image_dataset"): (
        "keras.utils.image_dataset_from_directory (lazily)"
    ),
    ("minikeras.utils", "minikeras.utils.audio_dataset"): (
        "keras.utils.audio_dataset_from_directory (lazily)"
    ),
    ("minikeras.config", "minikeras.saving.serialization"): (
        "keras.config.enable_unsafe_deserialization sets safe mode, which lives in saving"
    ),
    ("minikeras.config", "minikeras.layers.operation"): (
        "keras.config.dtype_policy returns the layers' DTypePolicy"
    ),
}


def part_of(module):
    """The entry of ORDER a module belongs to."""
    parts = module.split(".")
    if len(parts) == 1:
        return "minikeras"
    if parts[1] == "utils":
        tools = len(parts) > 2 and parts[2] in UTILS_MODEL_TOOLS
        return "utils (model tools)" if tools else "utils (helpers)"
    return parts[1]


RANK = {part: rank for rank, part in enumerate(ORDER)}


def against_the_order(importer, imported):
    """Whether `importer` importing `imported` points right (or sideways) in ORDER."""
    return part_of(imported) != part_of(importer) and (
        RANK[part_of(imported)] >= RANK[part_of(importer)]
    )


def test_every_module_has_a_place_in_the_order():
    assert {part_of(module) for module in MODULES} == set(ORDER)


def test_module_level_imports_point_left():
    violations = [
        f"{module}:{line} loads {loaded} ({part_of(loaded)} is not left of {part_of(module)})"
        for module in MODULES
        for target, line, at_module_level in imports_of(module)
        if at_module_level
        for loaded in loaded_by(module, target)
        if against_the_order(module, loaded)
    ]
    assert not violations, "\n".join(violations)


def function_level_imports_against_the_order():
    """`{(importer, imported): [lines]}` for the function-level imports that point right."""
    found = {}
    for module in MODULES:
        for target, line, at_module_level in imports_of(module):
            if not at_module_level and against_the_order(module, target):
                found.setdefault((module, target), []).append(line)
    return found


def test_function_level_imports_against_the_order_are_listed_with_a_reason():
    found = function_level_imports_against_the_order()
    unlisted = [
        f"{importer}:{lines} imports {imported}: import it from the left, or list it in "
        "AGAINST_THE_ORDER with the reason"
        for (importer, imported), lines in found.items()
        if (importer, imported) not in AGAINST_THE_ORDER
    ]
    assert not unlisted, "\n".join(unlisted)
    stale = sorted(set(AGAINST_THE_ORDER) - set(found))
    assert not stale, f"listed in AGAINST_THE_ORDER but no longer imported: {stale}"


def test_the_order_check_catches_an_import_pointing_right():
    assert against_the_order("minikeras.layers.core.dense", "minikeras.models.model")
    assert against_the_order("minikeras.utils.naming", "minikeras.config")
    assert not against_the_order("minikeras.models.model", "minikeras.trainers.trainer")
    assert not against_the_order("minikeras.layers.layer", "minikeras.layers.input_spec")


def _run(code):
    """Runs `code` in a fresh interpreter (from the repository root); returns its stdout."""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.strip()


def test_a_broken_trainer_import_raises_instead_of_giving_a_model_without_fit():
    code = (
        "import sys\n"
        "sys.modules['minikeras.trainers.trainer'] = None  # makes its import fail\n"
        "try:\n"
        "    import minikeras.models\n"
        "except ImportError:\n"
        "    print('ImportError')\n"
        "else:\n"
        "    print('fit' in dir(minikeras.models.Model))\n"
    )
    assert _run(code) == "ImportError"


def _is_private(dotted):
    return any(part.startswith("_") for part in dotted.split(".")[2:])


def test_no_module_imports_a_private_name_of_another_package():
    violations = []
    for module, path in MODULES.items():
        package = module.split(".")[:2]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("minikeras."):
                names = [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            violations += [
                f"{module}:{node.lineno} imports {name}"
                for name in names
                if name.split(".")[:2] != package and _is_private(name)
            ]
    assert not violations, "\n".join(violations)


def test_importing_layers_loads_no_package_above_layers():
    code = (
        "import sys\n"
        "import minikeras.layers\n"
        "print(sorted({m.split('.')[1] for m in sys.modules if m.count('.') and "
        "m.startswith('minikeras.')}))\n"
    )
    loaded = set(ast.literal_eval(_run(code)))
    above = {"losses", "metrics", "optimizers", "callbacks", "trainers", "models", "saving"}
    assert not loaded & above


def test_keras_utils_and_models_still_offer_the_functions_of_higher_packages():
    import minikeras
    from minikeras import saving
    from minikeras.utils import model_visualization, session

    assert minikeras.utils.register_keras_serializable is saving.register_keras_serializable
    assert minikeras.utils.plot_model is model_visualization.plot_model
    assert minikeras.utils.clear_session is session.clear_session
    assert minikeras.models.load_model is saving.load_model
    assert minikeras.models.clone_model is saving.clone_model
    assert {"plot_graph", "custom_object_scope"} <= set(dir(minikeras.utils))
    assert "save_model" in dir(minikeras.models)
    with pytest.raises(AttributeError, match="no attribute 'plot_everything'"):
        minikeras.utils.plot_everything


def _diagram_script():
    """docs/make_architecture_diagram.py, loaded as a module."""
    spec = importlib.util.spec_from_file_location(
        "make_architecture_diagram", ROOT / "docs" / "make_architecture_diagram.py"
    )
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    return script


def test_the_diagram_in_docs_architecture_md_is_made_from_the_code_now():
    script = _diagram_script()
    text = script.DOC.read_text()
    assert script.with_diagram(text, script.diagram()) == text, (
        "docs/architecture.md's diagram is out of date: run "
        "python docs/make_architecture_diagram.py"
    )


def test_the_diagram_draws_an_arrow_only_where_no_longer_path_leads():
    script = _diagram_script()
    graph = {"models": {"layers", "ops"}, "layers": {"ops"}, "ops": set()}
    assert script.transitive_reduction(graph) == {
        "models": {"layers"},
        "layers": {"ops"},
        "ops": set(),
    }


def _graph_with_function_level_imports(package):
    """`{module: imported modules of the same package}`, imports inside functions included."""
    modules = [module for module in MODULES if module.startswith(package + ".")]
    return {
        module: {target for target, _, _ in imports_of(module) if target in modules}
        for module in modules
    }


def test_autodiff_modules_import_in_one_direction_even_inside_functions():
    cycle = find_cycle(_graph_with_function_level_imports("minikeras.autodiff"))
    assert cycle is None, "import cycle in autodiff: " + " -> ".join(cycle)


def test_symbolic_recording_imports_none_of_the_ops_built_on_it():
    graph = _graph_with_function_level_imports("minikeras.ops")
    assert graph["minikeras.ops.symbolic"] == set()
    from minikeras import Input

    x = Input((3,))
    assert (-abs(x[:, :2] * 2.0 + 1.0)).shape == (None, 2)
    assert (1.0 - x).shape == (None, 3)
