"""`text_dataset_from_directory`: batches of text files and their labels.

As Keras does, the files are the `.txt` files under `directory`, labelled by the
subdirectory they are in (`labels="inferred"`), listed class by class in sorted order,
then shuffled once with `np.random.RandomState(seed)` and split into training and
validation parts from the end. Keras then builds a `tf.data.Dataset` (or a Grain dataset)
that reads each file when asked for; here a `PyDataset` does (`fit`, `evaluate`,
`predict`, `for` and `dataset.map(function)` take it). A text batch is a numpy array of
Python strings, for `TextVectorization` to turn into numbers before the model.
"""

import os

import numpy as np

from minikeras.utils import io_utils
from minikeras.utils.dataset_utils import get_training_or_validation_split as _split
from minikeras.utils.py_dataset import BatchDataset

_LABEL_MODES = ("int", "categorical", "binary", None)


def text_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    max_length=None,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    format="tf",  # noqa: A002 (Keras's argument name)
    verbose=True,
):
    """A dataset of the text files under `directory` (as
    `keras.utils.text_dataset_from_directory`).

    Args:
        directory: with `labels="inferred"`, one subdirectory per class holding its `.txt`
            files (at any depth); otherwise the files themselves.
        labels: `"inferred"` (from the subdirectories), a list of integer labels (one per
            file, in the sorted order of the files' paths), or None (texts only).
        label_mode: `"int"` (int32 labels), `"categorical"` (float32 one-hot),
            `"binary"` (float32 of shape `(batch, 1)`, two classes) or None (no labels).
        class_names: the subdirectories to use, in label order (all, sorted, by default).
        batch_size: files per batch; None gives one file per item.
        max_length: texts longer than this many characters are cut to it.
        shuffle: whether the files come in a random order, drawn once from `seed` as
            Keras's first shuffle is (Keras then shuffles again with TensorFlow's or
            Grain's generator, which is not reproduced: the order is a random one, not
            Keras's); False: sorted by class, then by path.
        seed: the seed of that order (needed with `validation_split` and `shuffle`).
        validation_split: the fraction of the files (the last ones after shuffling)
            kept for validation.
        subset: `"training"`, `"validation"` or `"both"` (then a list of both datasets).
        follow_links: whether to follow symbolic links to subdirectories.
        format: `"tf"` or `"grain"`, accepted for compatibility: the result is a `PyDataset`.
        verbose: whether to print how many files and classes were found.

    Returns:
        A `PyDataset` of `(texts, labels)` batches (of `texts` without labels), with a
        `class_names` attribute; with `subset="both"`, `[training, validation]`.
    """
    _check_arguments(labels, label_mode, class_names, validation_split, subset, shuffle, seed)
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if labels is None or label_mode is None:
        labels = label_mode = None
    return datasets_from_files(
        directory,
        labels,
        label_mode,
        class_names,
        shuffle,
        seed,
        follow_links,
        verbose,
        validation_split,
        subset,
        (".txt",),
        "No {kind}text files found in directory {directory}. Allowed format: .txt",
        lambda paths, labels, class_count: TextFileDataset(
            paths, labels, label_mode, class_count, batch_size, max_length
        ),
    )


def datasets_from_files(
    directory,
    labels,
    label_mode,
    class_names,
    shuffle,
    seed,
    follow_links,
    verbose,
    validation_split,
    subset,
    formats,
    missing,
    make,
):
    """What the `*_dataset_from_directory` functions return: the files of `formats` under
    `directory` listed and labelled as Keras lists them (`_index_directory`), split for
    `subset` (`"both"`: the training and the validation dataset), each part made by
    `make(paths, labels, class_count)` and given the class names.

    Args:
        missing: the error text for a part with no files, with `{kind}` and `{directory}`.
    """
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = _index_directory(
        directory, labels, class_names, shuffle, seed, follow_links, verbose, formats
    )
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={class_names}"
        )

    def dataset(part):
        part_paths, part_labels = _split(paths, labels, validation_split, part)
        if not part_paths:
            kind = f"{part} " if subset == "both" else ""
            raise ValueError(missing.format(kind=kind, directory=directory))
        made = make(part_paths, part_labels, len(class_names or ()))
        made.class_names = class_names
        return made

    if subset == "both":
        return [dataset("training"), dataset("validation")]
    return dataset(subset)


class TextFileDataset(BatchDataset):
    """Batches of the texts of `paths` (read when asked for) and their labels.

    Args:
        paths: the files, in dataset order.
        labels: one integer label per file, or None.
        label_mode: `"int"`, `"categorical"`, `"binary"` or None.
        num_classes: the number of classes (for `"categorical"`).
        batch_size: files per batch, or None for one file per item.
        max_length: characters kept of each text (all when None).
    """

    def __init__(self, paths, labels, label_mode, num_classes, batch_size, max_length):
        super().__init__()
        self.paths, self.labels, self.label_mode = list(paths), labels, label_mode
        self.num_classes, self.batch_size, self.max_length = num_classes, batch_size, max_length

    def _count(self):
        return len(self.paths)

    def __getitem__(self, index):
        chosen = self._positions(index)
        if self.batch_size is None:  # one file: its text, and its label
            text = self._read(self.paths[chosen])
            if self.label_mode is None:
                return text
            return text, self._encode([self.labels[chosen]])[0]
        texts = np.array([self._read(path) for path in self.paths[chosen]], dtype=object)
        return texts if self.label_mode is None else (texts, self._encode(self.labels[chosen]))

    def _read(self, path):
        with open(path, encoding="utf-8") as file:
            text = file.read()
        return text if self.max_length is None else text[: self.max_length]

    def _encode(self, labels):
        labels = np.asarray(labels, dtype="int32")
        if self.label_mode == "binary":
            return labels.astype("float32")[:, None]
        if self.label_mode == "categorical":
            return np.eye(self.num_classes, dtype="float32")[labels]
        return labels


def _index_directory(
    directory, labels, class_names, shuffle, seed, follow_links, verbose, formats=(".txt",)
):
    """The files' paths, their labels and the class names, as Keras's `index_directory`
    (the files are those whose name ends, in any case, with one of `formats`)."""
    if labels == "inferred":
        subdirs = [
            name
            for name in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, name)) and not name.startswith(".")
        ]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(
                    "The `class_names` passed did not match the names of the subdirectories "
                    f"of the target directory. Expected: {subdirs} (or a subset of it), but "
                    f"received: class_names={class_names}"
                )
            subdirs = list(class_names)
    else:
        subdirs = [""]
        if class_names is not None:
            raise ValueError(
                "When `labels=None` (no labels), argument `class_names` cannot be specified."
                if labels is None
                else "When argument `labels` is specified, argument `class_names` cannot be "
                "specified (the `class_names` will be the sorted list of labels)."
            )
    paths, found = [], []
    for label, subdir in enumerate(subdirs):
        folder = os.path.join(directory, subdir)
        for root, _, files in sorted(os.walk(folder, followlinks=follow_links)):
            for name in sorted(files):
                if name.lower().endswith(formats):
                    paths.append(os.path.join(root, name))
                    found.append(label)
    if labels == "inferred":
        labels, names = np.array(found, dtype="int32"), subdirs
    elif labels is None:
        names = None
    else:
        if len(labels) != len(paths):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target "
                f"directory. len(labels) is {len(labels)} while we found {len(paths)} files "
                f"in directory {directory}."
            )
        labels, names = list(labels), [str(label) for label in sorted(set(labels))]
    if verbose:
        classes = "" if labels is None else f" belonging to {len(names)} classes"
        io_utils.print_msg(f"Found {len(paths)} files{classes}.")
    if shuffle:  # the same permutation for the paths and the labels
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, names


def _check_arguments(labels, label_mode, class_names, validation_split, subset, shuffle, seed):
    """Keras's argument checks, with its messages."""
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "`labels` argument should be a list/tuple of integer labels, of the same "
                "size as the number of text files in the target directory. If you wish to "
                "infer the labels from the subdirectory names in the target directory, pass "
                '`labels="inferred"`. If you wish to get a dataset that only contains text '
                f"samples (no labels), pass `labels=None`. Received: labels={labels}"
            )
        if class_names:
            raise ValueError(
                'You can only pass `class_names` if `labels="inferred"`. Received: '
                f"labels={labels}, and class_names={class_names}"
            )
    if label_mode not in _LABEL_MODES:
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode}"
        )
    if validation_split and not 0 < validation_split < 1:
        raise ValueError(
            f"`validation_split` must be between 0 and 1, received: {validation_split}"
        )
    if (validation_split or subset) and not (validation_split and subset):
        raise ValueError("If `subset` is set, `validation_split` must be set, and inversely.")
    if subset not in ("training", "validation", "both", None):
        raise ValueError(
            f'`subset` must be either "training", "validation" or "both", received: {subset}'
        )
    if validation_split and shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` "
            "argument, to make sure that there is no overlap between the training and "
            "validation subset."
        )
