"""`keras.utils.get_file`: caching, hashes, archives and the tqdm download bar (offline)."""

import hashlib
import io
import os
import pathlib
import tarfile
import zipfile

import pytest

import minikeras as keras
from minikeras.utils import file_utils


@pytest.fixture
def source(tmp_path):
    path = tmp_path / "source" / "data.csv"
    path.parent.mkdir()
    path.write_bytes(b"a,b\n1,2\n" * 1000)
    return path


def test_get_file_copies_a_local_path_or_file_url_into_the_cache(tmp_path, source):
    cache = tmp_path / "cache"
    path = keras.utils.get_file(origin=str(source), cache_dir=cache)
    assert path == str(cache / "datasets" / "data.csv")
    assert pathlib.Path(path).read_bytes() == source.read_bytes()
    other = keras.utils.get_file("copy.csv", source.as_uri(), cache_dir=cache, cache_subdir="x")
    assert other == str(cache / "x" / "copy.csv")
    assert sorted(os.listdir(cache / "datasets")) == ["data.csv"]  # no temporary left


def test_get_file_uses_the_cached_file_unless_forced_or_its_hash_differs(tmp_path, source):
    cache = tmp_path / "cache"
    path = keras.utils.get_file(origin=str(source), cache_dir=cache)
    source.write_bytes(b"new contents")
    cached = keras.utils.get_file(origin=str(source), cache_dir=cache)
    assert pathlib.Path(cached).read_bytes() != b"new contents"
    sha = hashlib.sha256(b"new contents").hexdigest()
    keras.utils.get_file(origin=str(source), cache_dir=cache, file_hash=sha)
    assert pathlib.Path(path).read_bytes() == b"new contents"
    source.write_bytes(b"newer")
    keras.utils.get_file(origin=str(source), cache_dir=cache, force_download=True)
    assert pathlib.Path(path).read_bytes() == b"newer"


def test_get_file_refuses_a_download_that_does_not_match_its_hash(tmp_path, source):
    cache = tmp_path / "cache"
    md5 = hashlib.md5(b"something else").hexdigest()
    with pytest.raises(ValueError, match="does not match the md5 hash"):
        keras.utils.get_file(origin=str(source), cache_dir=cache, md5_hash=md5)
    assert os.listdir(cache / "datasets") == []


def test_get_file_extracts_tar_and_zip_archives(tmp_path):
    tar_path = tmp_path / "pack.tar.gz"
    with tarfile.open(tar_path, "w:gz") as archive:
        info = tarfile.TarInfo("pack/readme.txt")
        info.size = 5
        archive.addfile(info, io.BytesIO(b"hello"))
    zip_path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("inside.txt", "zipped")
    cache = tmp_path / "cache"
    folder = keras.utils.get_file("pack.tar.gz", str(tar_path), cache_dir=cache, extract=True)
    assert folder == str(cache / "datasets" / "pack_extracted")
    assert pathlib.Path(os.path.join(folder, "pack", "readme.txt")).read_text() == "hello"
    folder = keras.utils.get_file("bundle", str(zip_path), cache_dir=cache, extract=True)
    assert folder == str(cache / "datasets" / "bundle")
    assert pathlib.Path(os.path.join(folder, "inside.txt")).read_text() == "zipped"


def test_get_file_refuses_archive_members_that_escape_the_folder(tmp_path):
    zip_path = tmp_path / "evil.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("../escaped.txt", "no")
    with pytest.raises(ValueError, match="outside"):
        keras.utils.get_file("evil.zip", str(zip_path), cache_dir=tmp_path / "c", extract=True)
    assert not (tmp_path / "c" / "datasets" / "escaped.txt").exists()
    assert not (tmp_path / "c" / "escaped.txt").exists()


def test_get_file_names_its_bad_arguments(tmp_path, source):
    with pytest.raises(ValueError, match="origin"):
        keras.utils.get_file("x.csv")
    with pytest.raises(ValueError, match="not a path"):
        keras.utils.get_file("sub/x.csv", str(source), cache_dir=tmp_path)
    with pytest.raises(ValueError, match=r"hash_algorithm.*'sha256', 'md5'.*'crc'"):
        keras.utils.get_file(
            origin=str(source), cache_dir=tmp_path, file_hash="0", hash_algorithm="crc"
        )
    with pytest.raises(ValueError, match="hash_algorithm"):
        keras.utils.get_file(origin=str(source), cache_dir=tmp_path, hash_algorithm="sha1")
    assert not (tmp_path / "datasets" / "data.csv").exists()
    with pytest.raises(ValueError, match="pass `fname`"):
        keras.utils.get_file(origin="https://example.com/", cache_dir=tmp_path)


def test_get_file_draws_download_progress_with_tqdm_auto(tmp_path, source, monkeypatch):
    import tqdm.auto

    bars = []

    class Recording(tqdm.auto.tqdm):
        def __init__(self, *args, **kwargs):
            kwargs.update(file=io.StringIO(), disable=False)
            super().__init__(*args, **kwargs)
            bars.append(self)

    monkeypatch.setattr(tqdm.auto, "tqdm", Recording)
    keras.utils.get_file(origin=str(source), cache_dir=tmp_path)
    [bar] = bars
    assert bar.n == source.stat().st_size == bar.total
    assert bar.unit == "B" and bar.desc == "data.csv"


def test_failed_download_leaves_nothing_behind(tmp_path, monkeypatch):
    import urllib.request

    class Broken:
        def __init__(self):
            self.headers = {"Content-Length": "100"}

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self, *args):
            raise OSError("connection reset")

    monkeypatch.setattr(urllib.request, "urlopen", lambda *a, **k: Broken())
    with pytest.raises(OSError, match="connection reset"):
        file_utils.download("https://example.com/x", tmp_path / "x")
    assert list(tmp_path.iterdir()) == []
