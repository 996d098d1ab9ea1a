"""Finding dataset files on disk (and downloading them when a network is available)."""

import hashlib
import os
import pathlib


def minikeras_home():
    """`$MINIKERAS_HOME`, or `~/.minikeras`."""
    return pathlib.Path(os.environ.get("MINIKERAS_HOME", pathlib.Path.home() / ".minikeras"))


def search_dirs():
    """Where dataset files are looked for, in order."""
    return [minikeras_home() / "datasets", pathlib.Path.home() / ".keras" / "datasets"]


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def find_file(fname):
    """The local path of `fname` in the dataset folders, or None (never downloads)."""
    for directory in search_dirs():
        candidate = directory / fname
        if candidate.exists():
            return candidate
    return None


def get_file(fname, origin, file_hash=None):
    """Returns the path of `fname`, found locally or downloaded from `origin`.

    The file is looked for in `$MINIKERAS_HOME/datasets` (default `~/.minikeras/datasets`),
    then in Keras's cache `~/.keras/datasets`. Otherwise it is downloaded into the first
    directory and checked against `file_hash` (sha256). Without a network the error says
    where to put the file by hand.
    """
    import urllib.error

    from minikeras.utils.file_utils import download

    local = find_file(fname)
    if local is not None:
        return local
    target_dir = search_dirs()[0]
    target = target_dir / fname
    tmp_path = target_dir / f"{fname}.partial"
    try:
        download(origin, tmp_path, description=fname)  # leaves no partial file on failure
    except (urllib.error.URLError, OSError, TimeoutError) as error:
        places = " or ".join(str(d / fname) for d in search_dirs())
        raise OSError(
            f"Could not find {fname!r} locally and could not download it from {origin} "
            f"({error}). Download it on a machine with a network and copy it to {places}."
        ) from None
    if file_hash is not None and sha256(tmp_path) != file_hash:
        tmp_path.unlink()
        raise OSError(
            f"The downloaded {fname!r} does not have the expected sha256 {file_hash}; it was "
            "deleted. Try again, or copy a verified file by hand."
        )
    os.replace(tmp_path, target)
    return target
