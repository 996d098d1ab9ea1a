"""`audio_dataset_from_directory`: batches of WAV files and their labels.

The files are listed, labelled, shuffled and split as `text_dataset_from_directory` lists
them (the same code), keeping the `.wav` files. Each file is read when its batch is asked
for, with Python's `wave` module (no other dependency): integer PCM samples become float32
in [-1, 1) (16-bit ones divided by 32768, as TensorFlow's `decode_wav` and Keras's Grain
reader give them), one column per channel. `output_sequence_length` cuts or pads each clip
with zeros to that many samples; without it, a batch is padded with zeros to its longest
clip, as Keras's `padded_batch` does.
"""

import wave

import numpy as np

from minikeras.utils.text_dataset import TextFileDataset, _check_arguments, datasets_from_files

ALLOWED_FORMATS = (".wav",)


def audio_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    sampling_rate=None,
    output_sequence_length=None,
    ragged=False,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    verbose=True,
    format="tf",  # noqa: A002 (Keras's argument name)
):
    """A dataset of the WAV files under `directory` (as
    `keras.utils.audio_dataset_from_directory`).

    Args:
        directory: with `labels="inferred"`, one subdirectory per class holding its `.wav`
            files (at any depth); otherwise the files themselves.
        labels: `"inferred"`, a list of integer labels (one per file, in the sorted order
            of the files' paths) or None (audio only).
        label_mode: `"int"` (int32), `"categorical"` (float32 one-hot), `"binary"`
            (float32 of shape `(batch, 1)`, two classes) or None (no labels).
        class_names: the subdirectories to use, in label order (all, sorted, by default).
        batch_size: clips per batch; None gives one clip per item.
        sampling_rate: resampling is not available (Keras needs tensorflow-io for it):
            anything but None raises (an ImportError, as Keras without tensorflow-io).
        output_sequence_length: every clip cut or padded with zeros to this many samples.
        ragged: Keras's ragged batches (TensorFlow only); minikeras has no ragged tensors,
            so True raises.
        shuffle: whether the files come in a random order, drawn once from `seed` as
            Keras's first shuffle is (without its second, buffered shuffle); False:
            sorted by class, then by path.
        seed: the seed of that order (needed with `validation_split` and `shuffle`).
        validation_split: the fraction of the files (the last ones) kept for validation.
        subset: `"training"`, `"validation"` or `"both"` (then a list of both datasets).
        follow_links: whether to follow symbolic links to subdirectories.
        verbose: whether to print how many files and classes were found.
        format: `"tf"` or `"grain"` (newer Keras's argument), accepted for compatibility:
            the result is a `PyDataset`.

    Returns:
        A `PyDataset` of `(audio, labels)` batches (of `audio` without labels): float32
        `(batch, samples, channels)`; a `class_names` attribute; with `subset="both"`,
        `[training, validation]`.
    """
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple)):
        raise ValueError(
            "The `labels` argument should be a list/tuple of integer labels, of the same "
            "size as the number of audio files in the target directory. If you wish to "
            "infer the labels from the subdirectory names in the target directory, pass "
            '`labels="inferred"`. If you wish to get a dataset that only contains audio '
            f"samples (no labels), pass `labels=None`. Received: labels={labels}"
        )
    _check_arguments(labels, label_mode, class_names, validation_split, subset, shuffle, seed)
    if format not in ("tf", "grain"):
        raise ValueError(f'`format` should be either "tf" or "grain". Received: format={format}')
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if ragged:
        raise ValueError(
            "`ragged=True` gives TensorFlow ragged tensors, which minikeras does not have "
            "(as Keras on JAX). Use `output_sequence_length`, or the default padding."
        )
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError(
                f"`sampling_rate` should have an integer value. Received: "
                f"sampling_rate={sampling_rate}"
            )
        if sampling_rate <= 0:
            raise ValueError(
                f"`sampling_rate` should be higher than 0. Received: sampling_rate={sampling_rate}"
            )
        # Keras 3.15 raises this ImportError unless tensorflow-io is installed.
        raise ImportError(
            "To use the argument `sampling_rate`, you should install tensorflow_io (Keras "
            "resamples with it); minikeras cannot resample audio: pass sampling_rate=None "
            "to keep each file's rate."
        )
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
        ALLOWED_FORMATS,
        "No {kind}audio files found in directory {directory}. Allowed format(s): "
        + str(ALLOWED_FORMATS),
        lambda paths, labels, class_count: AudioFileDataset(
            paths, labels, label_mode, class_count, batch_size, output_sequence_length
        ),
    )


class AudioFileDataset(TextFileDataset):
    """Batches of the clips of `paths` (read when asked for) and their labels; the labels
    are those of `TextFileDataset`.

    Args:
        paths, labels, label_mode, num_classes, batch_size: as `TextFileDataset`'s.
        output_sequence_length: samples kept (padded with zeros) per clip; None: all, and
            a batch is padded to its longest clip.
    """

    def __init__(self, paths, labels, label_mode, num_classes, batch_size, output_sequence_length):
        super().__init__(paths, labels, label_mode, num_classes, batch_size, None)
        self.output_sequence_length = output_sequence_length

    def __getitem__(self, index):
        chosen = self._positions(index)
        if self.batch_size is None:
            clip = self._read(self.paths[chosen])
            if self.label_mode is None:
                return clip
            return clip, self._encode([self.labels[chosen]])[0]
        clips = [self._read(path) for path in self.paths[chosen]]
        longest = max(len(clip) for clip in clips)
        batch = np.zeros((len(clips), longest, clips[0].shape[1]), dtype="float32")
        for row, clip in zip(batch, clips):
            row[: len(clip)] = clip
        return batch if self.label_mode is None else (batch, self._encode(self.labels[chosen]))

    def _read(self, path):
        clip = read_wav(path)
        length = self.output_sequence_length
        if length is None:
            return clip
        if len(clip) >= length:
            return clip[:length]
        padding = np.zeros((length - len(clip), clip.shape[1]), dtype="float32")
        return np.concatenate([clip, padding])


def read_wav(path):
    """A PCM WAV file as float32 `(samples, channels)` in [-1, 1)."""
    with wave.open(path, "rb") as file:
        channels, width = file.getnchannels(), file.getsampwidth()
        frames = file.readframes(file.getnframes())
    if width == 1:  # 8-bit WAV samples are unsigned, centred on 128
        samples = (np.frombuffer(frames, dtype="uint8").astype("float32") - 128.0) / 128.0
    elif width == 3:  # 24-bit: widen each little-endian sample to 32 bits
        raw = np.frombuffer(frames, dtype="uint8").reshape(-1, 3)
        padded = np.zeros((len(raw), 4), dtype="uint8")
        padded[:, 1:] = raw
        samples = padded.view("<i4").ravel().astype("float32") / np.float32(2**31)
    elif width in (2, 4):
        dtype = "<i2" if width == 2 else "<i4"
        scale = np.float32(2 ** (8 * width - 1))
        samples = np.frombuffer(frames, dtype=dtype).astype("float32") / scale
    else:
        raise ValueError(f"{path}: {8 * width}-bit WAV samples are not supported.")
    return samples.reshape(-1, channels)
