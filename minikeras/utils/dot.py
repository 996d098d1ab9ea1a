"""DOT text (Graphviz's graph language) and rendering it with the Graphviz `dot` program.

The diagrams of `plot_model` and `plot_graph` are written as DOT text here, in Python,
with no pydot dependency. A `.dot` (or `.gv`) file is that text; any image format is made
by running Graphviz's `dot` program, which must be installed separately.
"""

import os
import shutil

# What `dot -T<format>` can write in every Graphviz build.
IMAGE_FORMATS = ("png", "svg", "pdf", "jpg", "jpeg", "gif", "ps", "eps")
TEXT_FORMATS = ("dot", "gv")
RANKDIRS = ("TB", "LR", "BT", "RL")
SPLINES = ("ortho", "curved", "polyline", "spline", "line", "true", "false", "none")


def escape_html(text):
    """Escapes `text` for a Graphviz HTML-like label."""
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
    )


def quote(text):
    """Quotes `text` as a DOT ID or string value."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def attributes(**values):
    """`[key="value", ...]` for a node or edge; values starting with `<` are HTML labels."""
    items = []
    for key, value in values.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        value = str(value)
        items.append(f"{key}={value if value.startswith('<') else quote(value)}")
    return "[" + ", ".join(items) + "]"


def find_graphviz():
    """Returns the path of Graphviz's `dot` program, or None when it is not installed."""
    return shutil.which("dot")


def check_rankdir(rankdir, caller):
    if rankdir not in RANKDIRS:
        raise ValueError(
            f"{caller}: `rankdir` must be one of {list(RANKDIRS)} (top-bottom, left-right, "
            f"bottom-top, right-left), got {rankdir!r}."
        )


def check_dpi(dpi, caller):
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not dpi > 0:
        raise ValueError(f"{caller}: `dpi` must be a positive number, got {dpi!r}.")


def output_format(to_file, caller):
    """The format `to_file` asks for (its extension; png without one), checked up front.

    Raises:
        ValueError: for an extension that is neither DOT text nor an image format.
        ImportError: for an image format when Graphviz's `dot` program is not installed.
    """
    extension = os.path.splitext(str(to_file))[1][1:].lower() or "png"
    if extension in TEXT_FORMATS:
        return extension
    if extension not in IMAGE_FORMATS:
        raise ValueError(
            f"{caller}: cannot write {str(to_file)!r}: the file extension must be one of "
            f"{['.' + name for name in TEXT_FORMATS + IMAGE_FORMATS]}."
        )
    if find_graphviz() is None:
        raise ImportError(graphviz_missing_message(caller, to_file))
    return extension


def graphviz_missing_message(caller, to_file):
    return (
        f"{caller}: writing {str(to_file)!r} needs the Graphviz `dot` program, which was not "
        "found on the PATH. Install Graphviz (https://graphviz.org/download/; e.g. "
        "`apt-get install graphviz`, `brew install graphviz` or `conda install graphviz`), "
        "or give a file name ending in '.dot' to write the DOT text without it."
    )


class DotGraph:
    """A graph as DOT text, with the few pydot methods notebooks use (`create`, `write`).

    Args:
        text: the DOT source.

    Example:
        >>> dot = keras.utils.model_to_dot(model)
        >>> print(dot.to_string())           # the DOT text
        >>> svg = dot.create(format="svg")   # bytes, needs Graphviz
    """

    def __init__(self, text):
        self.text = text

    def to_string(self):
        """Returns the DOT text."""
        return self.text

    def __str__(self):
        return self.text

    def __repr__(self):
        return f"<DotGraph: {self.text.count(chr(10)) + 1} lines of DOT>"

    def create(self, prog="dot", format="png"):  # noqa: A002 (pydot's name)
        """Renders the graph with Graphviz and returns the bytes of the image.

        Args:
            prog: the Graphviz layout program (`"dot"`).
            format: an image format such as `"png"` or `"svg"`; `"dot"` returns the text.
        """
        if format in TEXT_FORMATS or format == "raw":
            return self.text.encode()
        if format not in IMAGE_FORMATS:
            raise ValueError(
                f"DotGraph.create: `format` must be one of {list(IMAGE_FORMATS)} or 'dot', "
                f"got {format!r}."
            )
        import subprocess  # only when rendering: keeps `import minikeras.utils` light

        program = shutil.which(prog)
        if program is None:
            raise ImportError(graphviz_missing_message("DotGraph.create", f"<{format} image>"))
        result = subprocess.run(
            [program, f"-T{format}"], input=self.text.encode(), capture_output=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"Graphviz `{prog} -T{format}` failed: {result.stderr.decode(errors='replace')}"
            )
        return result.stdout

    def write(self, path, format=None):  # noqa: A002 (pydot's name)
        """Writes the DOT text (`.dot`/`.gv`, or `format="raw"`) or a rendered image.

        The image is rendered completely before the file is opened, so a failure leaves no
        half-written file.
        """
        if format is None:
            format = output_format(path, "DotGraph.write")  # noqa: A001
        content = self.create(format=format)
        with open(path, "wb") as file:
            file.write(content)
        return True


def render(graph, to_file, extension):
    """Writes `graph` to `to_file` and, for an image in a notebook, returns it for display."""
    graph.write(str(to_file), format=extension)
    if extension in ("png", "jpg", "jpeg", "gif"):
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=str(to_file))
    return None
