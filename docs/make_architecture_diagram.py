"""Writes the package diagram of docs/architecture.md from the code's imports.

Run from the repository root:

    python docs/make_architecture_diagram.py

It reads the module-level imports of every minikeras module with `ast` (nothing is
imported), groups the modules into packages (utils split into its helpers and its model
tools, as tests/test_architecture.py does), keeps each arrow that no longer path implies
(a transitive reduction: the graph has no cycle, tests/test_architecture.py checks it) and
writes the result as Mermaid text between the two marker lines of docs/architecture.md.
tests/test_architecture.py checks that the committed diagram is what this script writes.
"""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
BEGIN = "<!-- diagram: written by docs/make_architecture_diagram.py -->"
END = "<!-- end of diagram -->"
UTILS_MODEL_TOOLS = {"session", "model_visualization", "graph_visualization"}


def package_of(module):
    """`minikeras.layers.core.dense` -> `layers`; utils splits in two; None for the root."""
    parts = module.split(".")
    if len(parts) == 1:
        return None
    if parts[1] == "utils":
        tools = len(parts) > 2 and parts[2] in UTILS_MODEL_TOOLS
        return "utils: model tools" if tools else "utils: helpers"
    return parts[1]


def module_level_imports(path):
    """The minikeras modules named by the imports at the top level of one file (class
    bodies included, function bodies not)."""
    names = []
    pending = list(ast.parse(path.read_text()).body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            pending += list(ast.iter_child_nodes(node))
    return [name for name in names if name.startswith("minikeras.")]


def package_graph(root=ROOT):
    """`{package: set of packages its modules import at module level}`."""
    graph = {}
    for path in sorted((root / "minikeras").rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        importer = package_of(".".join(parts))
        if importer is None:
            continue  # minikeras/__init__.py: the public names, above everything
        targets = graph.setdefault(importer, set())
        for name in module_level_imports(path):
            imported = package_of(name)
            if imported is not None and imported != importer:
                targets.add(imported)
    return graph


def transitive_reduction(graph):
    """The arrows of an acyclic `graph` that no longer path implies."""

    def reachable(start, skip):
        seen, stack = set(), [node for node in graph[start] if node != skip]
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack += graph.get(node, ())
        return seen

    return {
        node: {target for target in targets if target not in reachable(node, target)}
        for node, targets in graph.items()
    }


def mermaid(graph):
    """Mermaid text: one line per arrow `importer --> imported`, sorted."""
    names = set(graph).union(*graph.values())
    ids = {name: name.replace("utils: ", "utils_").replace(" ", "_") for name in names}
    lines = ["```mermaid", "flowchart TD"]
    lines += [f'    {ids[name]}["{name}"]' for name in sorted(ids)]
    lines += [
        f"    {ids[node]} --> {ids[target]}"
        for node in sorted(graph)
        for target in sorted(graph[node])
    ]
    lines.append("```")
    return "\n".join(lines)


def diagram(root=ROOT):
    return mermaid(transitive_reduction(package_graph(root)))


def with_diagram(text, new_diagram):
    """`text` with the lines between the markers replaced by `new_diagram`."""
    head, rest = text.split(BEGIN + "\n", 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{new_diagram}\n{END}{tail}"


def main():
    DOC.write_text(with_diagram(DOC.read_text(), diagram()))
    print(f"wrote the package diagram into {DOC.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
