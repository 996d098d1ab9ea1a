"""`keras.utils.plot_model` / `model_to_dot`: the DOT text, the files, the errors."""

import re
import shutil

import numpy as np
import pytest

import minikeras as keras
from minikeras import layers
from minikeras.autodiff import Function
from minikeras.utils import dot as dot_module

NODE = re.compile(r'^\s*"([^"]+)" \[label=<(.*)>\];$', re.MULTILINE)
EDGE = re.compile(r'^\s*"([^"]+)" -> "([^"]+)";$', re.MULTILINE)
needs_graphviz = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz not installed")


def boxes(text):
    """{DOT id: label text without the HTML tags}."""
    return {name: re.sub(r"<[^>]+>", " ", label) for name, label in NODE.findall(text)}


def edges(text):
    return EDGE.findall(text)


def squeeze(text):
    return " ".join(text.split())


def two_tower_model():
    """Two inputs, a layer shared by both towers, two outputs, a nested Sequential."""
    a = keras.Input((3,), name="a")
    b = keras.Input((4,), name="b")
    shared = layers.Dense(5, activation="relu", name="shared")
    left = shared(layers.Dense(3, name="pa")(a))
    right = shared(layers.Dense(3, name="pb")(b))
    joined = layers.Concatenate(name="cat")([left, right])
    inner = keras.Sequential(
        [keras.Input((10,)), layers.Dense(2, name="i1"), layers.Dense(1, name="i2")], name="inner"
    )
    return keras.Model([a, b], [inner(joined), layers.Dense(2, name="o2")(joined)], name="outer")


def test_sequential_model_is_a_chain_of_its_layers_without_the_input():
    model = keras.Sequential(
        [keras.Input((3,)), layers.Dense(4, name="d1"), layers.Dense(1, name="d2")]
    )
    text = keras.utils.model_to_dot(model).to_string()
    assert text.startswith('digraph "sequential')
    assert list(boxes(text)) == ["d1", "d2"]
    assert squeeze(boxes(text)["d1"]) == "d1 (Dense)"
    assert edges(text) == [("d1", "d2")]


def test_functional_model_draws_inputs_shared_layers_once_and_every_call_as_an_edge():
    text = keras.utils.model_to_dot(two_tower_model()).to_string()
    assert sorted(boxes(text)) == sorted(["a", "b", "pa", "pb", "shared", "cat", "inner", "o2"])
    assert sorted(edges(text)) == sorted(
        [
            ("a", "pa"),
            ("b", "pb"),
            ("pa", "shared"),
            ("pb", "shared"),
            ("shared", "cat"),
            ("cat", "inner"),
            ("cat", "o2"),
        ]
    )
    assert squeeze(boxes(text)["inner"]) == "inner (Sequential)"


def test_expand_nested_draws_the_inner_layers_in_a_cluster_and_connects_to_them():
    text = keras.utils.model_to_dot(two_tower_model(), expand_nested=True).to_string()
    cluster = re.search(r'subgraph "cluster_inner" \{(.*?)\n  \}', text, re.DOTALL).group(1)
    assert 'label="inner";' in cluster and 'style="dashed";' in cluster
    assert list(boxes(cluster)) == ["i1", "i2"]
    assert "inner" not in boxes(text)
    assert ("cat", "i1") in edges(text)
    assert ("i1", "i2") in edges(text)
    assert ("cat", "inner") not in edges(text)


def test_expand_nested_functional_inside_functional_enters_at_its_input_layer():
    inner_in = keras.Input((4,), name="inner_in")
    inner = keras.Model(inner_in, layers.Dense(2, name="inner_dense")(inner_in), name="block")
    x = keras.Input((4,), name="x")
    model = keras.Model(x, layers.Dense(1, name="head")(inner(x)), name="top")
    text = keras.utils.model_to_dot(model, expand_nested=True).to_string()
    assert sorted(edges(text)) == sorted(
        [("x", "inner_in"), ("inner_in", "inner_dense"), ("inner_dense", "head")]
    )
    collapsed = keras.utils.model_to_dot(model).to_string()
    assert sorted(edges(collapsed)) == [("block", "head"), ("x", "block")]


def test_labels_show_shapes_dtype_activation_and_trainable_when_asked():
    model = two_tower_model()
    model.get_layer("pb").trainable = False
    text = keras.utils.model_to_dot(
        model,
        show_shapes=True,
        show_dtype=True,
        show_layer_activations=True,
        show_trainable=True,
    ).to_string()
    labels = {name: squeeze(label) for name, label in boxes(text).items()}
    assert labels["a"] == "a (InputLayer) Output shape: (None, 3) Output dtype: float32"
    assert labels["shared"] == (
        "shared (Dense) Activation: relu Input shape: (None, 3) Output shape: (None, 5) "
        "Output dtype: float32 Trainable"
    )
    assert labels["pb"].endswith("Non-trainable")
    assert labels["cat"] == (
        "cat (Concatenate) Input shape: [(None, 5), (None, 5)] Output shape: (None, 10) "
        "Output dtype: float32"
    )


def test_show_layer_names_false_heads_each_box_with_the_class_only():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, name="d1")])
    text = keras.utils.model_to_dot(model, show_layer_names=False).to_string()
    assert squeeze(boxes(text)["d1"]) == "Dense"


def test_subclassed_model_is_one_box():
    class Net(keras.Model):
        def __init__(self):
            super().__init__(name="net")
            self.dense = layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    model = Net()
    model(keras.ops.ones((1, 3)))
    text = keras.utils.model_to_dot(model).to_string()
    assert list(boxes(text)) == ["net"] and edges(text) == []


def test_ops_called_on_symbolic_tensors_are_boxes_of_their_own():
    x = keras.Input((3,), name="x")
    y = keras.ops.add(layers.Dense(3, name="d")(x), x)
    text = keras.utils.model_to_dot(keras.Model(x, keras.ops.relu(y))).to_string()
    labels = {name: squeeze(label) for name, label in boxes(text).items()}
    assert labels["add"] == "add (ops.add)" and labels["relu"] == "relu (ops.relu)"
    assert sorted(edges(text)) == sorted([("x", "d"), ("x", "add"), ("d", "add"), ("add", "relu")])


def test_names_are_escaped_in_labels_and_ids():
    x = keras.Input((3,), name='in"<x>')
    model = keras.Model(x, layers.Dense(1, name="d&1")(x))
    text = keras.utils.model_to_dot(model).to_string()
    assert "<b>in&quot;&lt;x&gt;</b>" in text and "<b>d&amp;1</b>" in text
    assert '"in\\"<x>" -> "d&1";' in text


def test_plot_model_writes_dot_text_without_graphviz(tmp_path, monkeypatch):
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    model = two_tower_model()
    path = tmp_path / "model.dot"
    assert keras.utils.plot_model(model, to_file=path, show_shapes=True) is None
    written = path.read_text()
    assert (
        written
        == keras.utils.model_to_dot(model, show_shapes=True, show_layer_names=False).to_string()
    )


def test_plot_model_png_without_graphviz_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    with pytest.raises(ImportError, match=r"Graphviz.*apt-get install graphviz.*'\.dot'"):
        keras.utils.plot_model(two_tower_model(), to_file=tmp_path / "model.png")
    assert not (tmp_path / "model.png").exists()


def test_plot_model_rejects_bad_arguments_by_name(tmp_path):
    model = two_tower_model()
    with pytest.raises(ValueError, match=r"rankdir.*'TB', 'LR'.*'XY'"):
        keras.utils.plot_model(model, tmp_path / "m.dot", rankdir="XY")
    with pytest.raises(ValueError, match=r"extension.*\.png.*\.svg"):
        keras.utils.plot_model(model, tmp_path / "m.txt")
    with pytest.raises(ValueError, match="dpi"):
        keras.utils.model_to_dot(model, dpi=0)
    with pytest.raises(ValueError, match="splines"):
        keras.utils.model_to_dot(model, splines="wiggly")
    with pytest.raises(ValueError, match="layer_range"):
        keras.utils.model_to_dot(model, layer_range=["a", "b"])
    with pytest.raises(ValueError, match="unrecognized keyword arguments: \\['colour'\\]"):
        keras.utils.model_to_dot(model, colour="red")
    assert list(tmp_path.iterdir()) == []


def test_unbuilt_model_cannot_be_drawn():
    with pytest.raises(ValueError, match="not yet been built"):
        keras.utils.model_to_dot(keras.Sequential([layers.Dense(2)]))


def test_graph_attributes_follow_the_arguments():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4)])
    text = keras.utils.model_to_dot(model, rankdir="LR", dpi=96, splines="curved").to_string()
    assert 'graph [rankdir="LR", dpi="96", splines="curved"];' in text
    sub = keras.utils.model_to_dot(model, subgraph=True).to_string()
    assert sub.startswith(f'subgraph "cluster_{model.name}" {{')


@needs_graphviz
@pytest.mark.parametrize("extension, magic", [("png", b"\x89PNG"), ("svg", b"<?xml")])
def test_plot_model_renders_images_with_graphviz(tmp_path, extension, magic):
    path = tmp_path / f"model.{extension}"
    keras.utils.plot_model(two_tower_model(), to_file=path, show_shapes=True, expand_nested=True)
    assert path.read_bytes().startswith(magic)


# -- plot_graph: the autodiff graph behind a tensor ----------------------------------------

GRAPH_NODE = re.compile(r"^\s*(\w+) \[label=<(.*?)>(, .*)\];$", re.MULTILINE)
GRAPH_EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[(.*)\])?;$", re.MULTILINE)


def graph_parts(text):
    """({id: label with line breaks as ' | '}, {id: attributes}, [(source, target, attrs)])."""
    labels, attrs = {}, {}
    for name, label, rest in GRAPH_NODE.findall(text):
        labels[name] = label.replace("<br/>", " | ")
        attrs[name] = rest
    return labels, attrs, GRAPH_EDGE.findall(text)


def named_edges(text):
    """Edges as (source label, target label, dashed?) for readable assertions."""
    labels, _, found = graph_parts(text)
    return sorted((labels[a], labels[b], "dashed" in extra) for a, b, extra in found)


def linear_regression_loss():
    x = keras.ops.convert_to_tensor(np.ones((4, 3), "float32"))
    y = keras.ops.convert_to_tensor(np.zeros((4, 1), "float32"))
    w = keras.Variable(np.ones((3, 1)), name="w")
    b = keras.Variable(np.zeros((1,)), name="b")
    return keras.ops.mean(keras.ops.square(keras.ops.matmul(x, w) + b - y)), (x, y, w, b)


def test_plot_graph_has_a_box_per_primitive_and_an_ellipse_per_leaf():
    loss, _ = linear_regression_loss()
    text = keras.utils.graph_to_dot(loss).to_string()
    labels, attrs, _ = graph_parts(text)
    functions = [labels[n] for n in labels if 'shape="box"' in attrs[n]]
    assert functions == [
        "MatMul | (4, 1) float32",
        "Add | (4, 1) float32",
        "Subtract | (4, 1) float32",
        "Square | (4, 1) float32",
        "Mean | () float32",
    ]
    assert named_edges(text) == sorted(
        [
            ("constant | (4, 3) float32", "MatMul | (4, 1) float32", True),
            ("w | (3, 1) float32", "MatMul | (4, 1) float32", False),
            ("MatMul | (4, 1) float32", "Add | (4, 1) float32", False),
            ("b | (1,) float32", "Add | (4, 1) float32", False),
            ("Add | (4, 1) float32", "Subtract | (4, 1) float32", False),
            ("constant | (4, 1) float32", "Subtract | (4, 1) float32", True),
            ("Subtract | (4, 1) float32", "Square | (4, 1) float32", False),
            ("Square | (4, 1) float32", "Mean | () float32", False),
            ("Mean | () float32", "output | () float32", False),
        ]
    )


def test_plot_graph_colours_trainable_frozen_watched_and_constant_leaves():
    x = keras.ops.convert_to_tensor(np.ones((2, 2), "float32"))
    frozen = keras.Variable(np.ones((2, 2)), name="frozen", trainable=False)
    trained = keras.Variable(np.ones((2, 2)), name="trained")
    with keras.GradientTape() as tape:
        tape.watch(x)
        out = (x * frozen) * trained
        text = keras.utils.graph_to_dot(out, show_shapes=False, show_dtype=False).to_string()
    labels, attrs, _ = graph_parts(text)
    colour = {labels[n]: re.search(r'fillcolor="(\w+)"', attrs[n]).group(1) for n in labels}
    assert colour["tensor (watched)"] == "gold"
    assert colour["trained"] == "orange"
    assert colour["frozen"] == "lightgrey"
    assert colour["Multiply"] == "lightblue"
    assert ("frozen", "Multiply", True) in named_edges(text)
    assert ("tensor (watched)", "Multiply", False) in named_edges(text)


def test_plot_graph_draws_a_reused_variable_once_with_an_edge_per_use():
    w = keras.Variable(np.full((2,), 3.0), name="w")
    text = keras.utils.graph_to_dot(w * w + w, show_shapes=False, show_dtype=False).to_string()
    labels, _, _ = graph_parts(text)
    assert list(labels.values()).count("w") == 1
    assert named_edges(text) == sorted(
        [
            ("w", "Multiply", False),
            ("w", "Multiply", False),
            ("w", "Add", False),
            ("Multiply", "Add", False),
            ("Add", "output", False),
        ]
    )


def test_plot_graph_names_layer_weights_by_path_and_shows_fused_activations():
    model = keras.Sequential(
        [keras.Input((3,)), layers.Dense(4, activation="relu", name="hidden"), layers.Dense(1)],
        name="mlp",
    )
    loss = keras.ops.mean(model(np.ones((2, 3), "float32")))
    labels, _, _ = graph_parts(keras.utils.graph_to_dot(loss).to_string())
    assert "mlp/hidden/kernel | (3, 4) float32" in labels.values()
    assert "Linear + relu | (2, 4) float32" in labels.values()


class _SplitInTwo(Function):
    def forward(self, x):
        return x[:1], x[1:]

    def backward(self, g0, g1):
        return np.concatenate([g0, g1])


def test_plot_graph_labels_the_output_used_of_a_function_with_several():
    w = keras.Variable(np.arange(3.0), name="w")
    _, rest = _SplitInTwo()(w)
    text = keras.utils.graph_to_dot(keras.ops.sum(rest)).to_string()
    labels, _, found = graph_parts(text)
    assert "_SplitInTwo | [0] (1,) float32 | [1] (2,) float32" in labels.values()
    split = next(n for n, label in labels.items() if label.startswith("_SplitInTwo"))
    assert [extra for a, _, extra in found if a == split] == ['label="[1]"']


def test_plot_graph_after_backward_shows_the_freed_functions():
    loss, _ = linear_regression_loss()
    loss.backward()
    labels, _, _ = graph_parts(keras.utils.graph_to_dot(loss).to_string())
    assert list(labels.values()) == ["Mean (freed) | () float32", "output | () float32"]


def test_plot_graph_of_several_outputs_and_of_a_leaf():
    w = keras.Variable(np.ones(2), name="w")
    text = keras.utils.graph_to_dot([w * 2.0, w], show_dtype=False).to_string()
    assert named_edges(text) == sorted(
        [
            ("w | (2,)", "Multiply | (2,)", False),
            ("constant | ()", "Multiply | (2,)", True),
            ("Multiply | (2,)", "output 0 | (2,)", False),
            ("w | (2,)", "output 1 | (2,)", False),
        ]
    )


def test_plot_graph_rejects_symbolic_tensors_and_other_values(tmp_path):
    with pytest.raises(TypeError, match="plot_model"):
        keras.utils.plot_graph(keras.Input((3,)), tmp_path / "g.dot")
    with pytest.raises(TypeError, match="Tensor or a list of Tensors, got ndarray"):
        keras.utils.plot_graph(np.ones(3), tmp_path / "g.dot")
    with pytest.raises(ValueError, match="rankdir"):
        keras.utils.graph_to_dot(keras.ops.ones(2), rankdir="up")
    assert list(tmp_path.iterdir()) == []


def test_plot_graph_writes_dot_without_graphviz_and_asks_for_it_for_png(tmp_path, monkeypatch):
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    loss, _ = linear_regression_loss()
    keras.utils.plot_graph(loss, tmp_path / "loss.dot")
    assert (tmp_path / "loss.dot").read_text() == keras.utils.graph_to_dot(loss).to_string()
    with pytest.raises(ImportError, match="Graphviz"):
        keras.utils.plot_graph(loss, tmp_path / "loss.png")


@needs_graphviz
def test_plot_graph_renders_png_with_graphviz(tmp_path):
    loss, _ = linear_regression_loss()
    keras.utils.plot_graph(loss, tmp_path / "loss.png")
    assert (tmp_path / "loss.png").read_bytes().startswith(b"\x89PNG")


def test_dot_graph_offers_pydots_to_string_create_and_write(tmp_path, monkeypatch):
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, name="d1")])
    graph = keras.utils.model_to_dot(model)
    assert graph.create(format="dot") == graph.to_string().encode() == str(graph).encode()
    graph.write(tmp_path / "m.gv")
    assert (tmp_path / "m.gv").read_text() == graph.to_string()
    with pytest.raises(ValueError, match=r"format.*'png', 'svg'.*'bmp'"):
        graph.create(format="bmp")
    monkeypatch.setattr(dot_module.shutil, "which", lambda name: None)
    with pytest.raises(ImportError, match="Graphviz"):
        graph.create(format="svg")


def test_expand_nested_sequential_inside_sequential_chains_through_the_inner_layers():
    inner = keras.Sequential([layers.Dense(3, name="s1"), layers.Dense(2, name="s2")], name="inner")
    outer = keras.Sequential(
        [keras.Input((5,)), layers.Dense(4, name="o1"), inner, layers.Dense(1, name="o3")]
    )
    text = keras.utils.model_to_dot(outer, expand_nested=True).to_string()
    assert sorted(edges(text)) == [("o1", "s1"), ("s1", "s2"), ("s2", "o3")]
    assert sorted(edges(keras.utils.model_to_dot(outer).to_string())) == [
        ("inner", "o3"),
        ("o1", "inner"),
    ]


def test_expand_nested_model_shared_by_two_inputs_is_drawn_once():
    inner_input = keras.Input((4,), name="inner_input")
    encoder = keras.Model(inner_input, layers.Dense(2, name="code")(inner_input), name="enc")
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    model = keras.Model([a, b], layers.Add(name="add")([encoder(a), encoder(b)]))
    text = keras.utils.model_to_dot(model, expand_nested=True).to_string()
    assert text.count('subgraph "cluster_enc"') == 1
    assert sorted(edges(text)) == [
        ("a", "inner_input"),
        ("b", "inner_input"),
        ("code", "add"),
        ("inner_input", "code"),
    ]
