"""The README's reading order stays true: at most ten files, each exists and is short."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAX_FILES = 10
MAX_LINES = 500


def _reading_order():
    """The numbered files of the README section "Read the package in this order"."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Read the package in this order", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\d+\. `(minikeras/[\w/]+\.py)`", section, flags=re.MULTILINE)


def test_the_reading_order_lists_at_most_ten_files_from_tensor_to_fit():
    files = _reading_order()
    assert 2 <= len(files) <= MAX_FILES, files
    assert len(set(files)) == len(files), files
    assert files[0] == "minikeras/autodiff/tensor.py"
    assert files[-1] == "minikeras/trainers/trainer.py"


def test_every_file_of_the_reading_order_exists_and_has_at_most_500_lines():
    too_long = {}
    for name in _reading_order():
        path = ROOT / name
        assert path.is_file(), f"{name} is in the README's reading order but does not exist"
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            too_long[name] = lines
    assert not too_long, f"files of the reading order longer than {MAX_LINES} lines: {too_long}"
