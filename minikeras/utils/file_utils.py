"""`keras.utils.get_file`: fetch a file once into a cache folder, with a tqdm progress bar.

The download is written to a temporary file beside its target and renamed only when it is
complete (and matches `file_hash`), so an interrupted download never looks cached.
"""

import hashlib
import os
import pathlib
import tempfile
import urllib.parse

from minikeras.utils import io_utils

_CHUNK = 1 << 16


def _default_cache_dir():
    return os.environ.get("MINIKERAS_HOME", os.path.join(os.path.expanduser("~"), ".minikeras"))


def _as_url(origin):
    """`origin` as a URL urllib can open: URLs stay, local paths become `file://` URLs."""
    origin = os.fspath(origin)
    scheme = urllib.parse.urlsplit(origin).scheme
    if len(scheme) > 1:  # a Windows drive letter ("C:") is a path, not a scheme
        return origin
    return pathlib.Path(origin).resolve().as_uri()


def download(origin, target, description=None):
    """Copies `origin` (a URL, `file://` URL or local path) to `target`, showing progress.

    The bar is `tqdm.auto`'s (a widget in notebooks); it is left out when the output is not
    a terminal. Written to a temporary file first: on any failure no file is left behind.

    Raises:
        OSError (including `urllib.error.URLError`): when `origin` cannot be read.
    """
    # Imported when a download starts: they would add ~20 ms to `import minikeras.utils`.
    import urllib.request

    from tqdm.auto import tqdm

    target = pathlib.Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = None
    try:
        with urllib.request.urlopen(_as_url(origin), timeout=30) as response:
            headers = getattr(response, "headers", None)
            size = headers.get("Content-Length") if headers is not None else None
            with (
                tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as file,
                tqdm(
                    total=int(size) if size else None,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=description or target.name,
                    disable=None if io_utils.is_interactive_logging_enabled() else True,
                ) as bar,
            ):
                temporary = pathlib.Path(file.name)
                for chunk in iter(lambda: response.read(_CHUNK), b""):
                    file.write(chunk)
                    bar.update(len(chunk))
        os.replace(temporary, target)
    except BaseException:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        raise


def _hasher(algorithm, file_hash):
    if algorithm not in ("auto", "sha256", "md5"):
        raise ValueError(
            f"get_file: `hash_algorithm` must be one of ['auto', 'sha256', 'md5'], got "
            f"{algorithm!r}."
        )
    if algorithm == "sha256" or (algorithm == "auto" and len(str(file_hash)) == 64):
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """Returns the sha256 (or md5) hex digest of a file."""
    hasher = _hasher(algorithm, None) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as file:
        for chunk in iter(lambda: file.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether the file's sha256 or md5 (64 hex digits mean sha256) equals `file_hash`."""
    return hash_file(fpath, _hasher(algorithm, file_hash), chunk_size) == str(file_hash)


def _check_inside(directory, names):
    root = pathlib.Path(directory).resolve()
    for name in names:
        if not (root / name).resolve().is_relative_to(root):
            raise ValueError(f"get_file: the archive member {name!r} would land outside {root}.")


def _extract(archive, directory, archive_format):
    """Extracts a tar or zip archive into `directory`; False when it is neither."""
    import tarfile
    import zipfile

    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    formats = [formats] if isinstance(formats, str) else list(formats)
    for kind in formats:
        if kind not in ("tar", "zip"):
            raise ValueError(
                f"get_file: `archive_format` must be 'auto', 'tar', 'zip' or None, got {kind!r}."
            )
        if kind == "tar" and tarfile.is_tarfile(archive):
            with tarfile.open(archive) as opened:
                if hasattr(tarfile, "data_filter"):
                    # Refuses members that would land outside `directory` (or are devices).
                    opened.extractall(directory, filter="data")
                else:  # Pythons before the extraction filters (3.10.11 and older)
                    _check_inside(directory, [m.name for m in opened.getmembers()])
                    opened.extractall(directory)
            return True
        if kind == "zip" and zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as opened:
                _check_inside(directory, opened.namelist())
                opened.extractall(directory)
            return True
    return False


def get_file(
    fname=None,
    origin=None,
    untar=False,
    md5_hash=None,
    file_hash=None,
    cache_subdir="datasets",
    hash_algorithm="auto",
    extract=False,
    archive_format="auto",
    cache_dir=None,
    force_download=False,
):
    """Downloads a file from a URL unless it is already cached (as `keras.utils.get_file`).

    The file goes to `cache_dir/cache_subdir/fname` (by default `$MINIKERAS_HOME/datasets`,
    i.e. `~/.minikeras/datasets`). `origin` may also be a `file://` URL or a local path.

    Args:
        fname: the file's name in the cache (default: the last part of `origin`).
        origin: the URL (or local path) to copy from.
        untar: deprecated alias of `extract=True, archive_format="tar"`.
        md5_hash: deprecated; an md5 `file_hash`.
        file_hash: the expected sha256 (64 hex digits) or md5 of the file: a cached file
            that differs is fetched again, a download that differs is refused.
        cache_subdir: sub-folder of `cache_dir` (an absolute path is used as it is).
        hash_algorithm: `"auto"`, `"sha256"` or `"md5"`.
        extract: extract a tar or zip archive; the extraction folder is returned.
        archive_format: `"auto"` (tar, then zip), `"tar"`, `"zip"` or None.
        cache_dir: the cache root.
        force_download: fetch again even when cached.

    Returns:
        The path of the file (or of the extraction folder), as a string.

    Example:
        >>> path = keras.utils.get_file(origin="https://example.com/data.csv")
    """
    if origin is None:
        raise ValueError('get_file: please specify the "origin" argument (the URL to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    # Checked before downloading; with a hash, also names the algorithm "auto" picks.
    hasher = _hasher(hash_algorithm, file_hash or "")
    if file_hash is not None:
        hash_algorithm = hasher.name
    directory = os.path.join(os.path.expanduser(cache_dir or _default_cache_dir()), cache_subdir)
    if fname is None:
        fname = os.path.basename(urllib.parse.urlsplit(os.fspath(origin)).path)
        if fname in ("", os.curdir, os.pardir):
            raise ValueError(
                f"get_file: cannot tell the file name from origin={origin!r}; pass `fname`."
            )
    fname = os.fspath(fname)
    if os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError(
            "get_file: `fname` must be a file name, not a path (use `cache_dir` to choose the "
            f"folder); got fname={fname!r}."
        )
    target = os.path.join(directory, fname)
    if extract or untar:
        stem = fname.split(".", 1)[0]
        extraction_dir = os.path.join(directory, f"{stem}_extracted" if "." in fname else stem)
        if "." not in fname:
            target = os.path.join(directory, f"{fname}_archive")

    fetch = force_download or not os.path.exists(target)
    if not fetch and file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
        io_utils.print_msg(
            f"A local file was found, but its {hash_algorithm} hash does not match "
            f"{file_hash}; downloading it again."
        )
        fetch = True
    if fetch:
        io_utils.print_msg(f"Downloading data from {origin}")
        partial = target + ".partial"
        download(origin, partial, description=fname)
        if file_hash is not None and not validate_file(partial, file_hash, hash_algorithm):
            os.remove(partial)
            raise ValueError(
                f"get_file: the file downloaded from {origin} does not match the "
                f"{hash_algorithm} hash {file_hash}; it was deleted."
            )
        os.replace(partial, target)

    if extract or untar:
        if not _extract(target, extraction_dir, "tar" if untar else archive_format):
            raise ValueError(f"get_file: {target!r} is not a tar or zip archive.")
        return extraction_dir
    return target
