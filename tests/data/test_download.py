"""data.download=true: fixture archives in the official layouts, served by an HTTP server on 127.0.0.1.
A dataset folder appears only complete and checked; every failure names the URL and the file and
leaves nothing that looks like data behind."""

import hashlib
import io
import os
import tarfile
import threading
import time
from pathlib import Path

import pytest
import torch

from infocam_lit.data import cub, tiny_imagenet
from infocam_lit.data.archive import Archive, fetch, install
from infocam_lit.data.idx import DatasetError
from infocam_lit.run.prepare import prepare_once_per_node
from tests.helpers.datamodules import datamodule
from tests.helpers.fixture_data import archive_folder, make_cub, make_mnist, make_tiny_imagenet
from tests.helpers.fixture_server import FileServer


def md5_of(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@pytest.fixture(scope="module")
def archives(tmp_path_factory) -> dict[str, bytes]:
    staging = tmp_path_factory.mktemp("staging")
    folder, _ = make_cub(staging, num_classes=3, train_per_class=3, test_per_class=2)
    tiny, _ = make_tiny_imagenet(staging, num_classes=2, train_per_class=2, val_per_class=2)
    return {
        "/CUB_200_2011.tgz": archive_folder(folder, staging / "CUB_200_2011.tgz",
                                            {"attributes.txt": "1 has_bill_shape::curved\n"}).read_bytes(),
        "/tiny-imagenet-200.zip": archive_folder(tiny, staging / "tiny-imagenet-200.zip").read_bytes(),
    }


@pytest.fixture
def server(archives):
    with FileServer() as running:
        running.files.update(archives)
        yield running


def leftovers(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if "incomplete" in p.name) if root.exists() else []


def cub_module(root: Path, url: str, md5: str | None, name: str = "cub_wsol"):
    return datamodule(name, root=str(root), download=True, url=url, md5=md5, num_workers=0, pin_memory=False)


@pytest.mark.parametrize("name", ["cub_wsol", "cub_cls"])
def test_cub_downloads_checks_and_then_downloads_nothing(tmp_path, server, archives, name):
    data = archives["/CUB_200_2011.tgz"]
    module = cub_module(tmp_path, server.url("/CUB_200_2011.tgz"), md5_of(data), name)
    assert not module.is_prepared()
    module.prepare_data()
    assert module.is_prepared() and server.requests["/CUB_200_2011.tgz"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["CUB_200_2011"]  # nothing else, no attributes.txt
    module.setup("fit")
    assert module.num_classes == 3 and len(module.meta.paths) == 15
    again = cub_module(tmp_path, server.url("/CUB_200_2011.tgz"), md5_of(data), name)
    again.prepare_data()
    again.setup("fit")
    assert server.requests["/CUB_200_2011.tgz"] == 1  # the second run found the data


def test_tiny_imagenet_downloads_from_a_zip(tmp_path, server, archives):
    path = "/tiny-imagenet-200.zip"
    module = datamodule("tiny_imagenet", root=str(tmp_path), download=True, url=server.url(path),
                        md5=md5_of(archives[path]), num_workers=0, pin_memory=False)
    module.prepare_data()
    module.setup("fit")
    assert module.num_classes == 2 and len(module.records["train"][0]) == 4
    assert leftovers(tmp_path) == [] and server.requests[path] == 1


def test_a_wrong_checksum_names_url_file_and_checksums_and_leaves_no_data(tmp_path, server):
    url = server.url("/CUB_200_2011.tgz")
    with pytest.raises(DatasetError) as error:
        cub_module(tmp_path, url, "0" * 32).prepare_data()
    message = str(error.value)
    assert url in message and "CUB_200_2011.tgz" in message and "0" * 32 in message and "data.md5" in message
    assert "data.download=true" not in message and "offline" not in message  # it was set, and the file came
    assert "data.md5=null" in message and "damaged" in message
    assert not (tmp_path / "CUB_200_2011").exists() and leftovers(tmp_path) == []


def test_a_truncated_archive_is_refused_by_checksum_or_by_extraction(tmp_path, server, archives):
    data = archives["/CUB_200_2011.tgz"]
    server.files["/cut.tgz"] = data[: len(data) // 2]
    with pytest.raises(DatasetError, match="MD5"):
        cub_module(tmp_path, server.url("/cut.tgz"), md5_of(data)).prepare_data()
    with pytest.raises(DatasetError, match="truncated or corrupt") as error:
        cub_module(tmp_path, server.url("/cut.tgz"), None).prepare_data()  # no checksum: extraction fails
    assert server.url("/cut.tgz") in str(error.value)
    assert not (tmp_path / "CUB_200_2011").exists() and leftovers(tmp_path) == []


def test_a_download_cut_off_midway_is_an_error(tmp_path, server, archives):
    server.modes["/CUB_200_2011.tgz"] = "short"
    url = server.url("/CUB_200_2011.tgz")
    with pytest.raises(DatasetError, match="could not download|stopped after") as error:
        cub_module(tmp_path, url, md5_of(archives["/CUB_200_2011.tgz"])).prepare_data()
    assert url in str(error.value)
    assert not (tmp_path / "CUB_200_2011").exists() and leftovers(tmp_path) == []


def test_a_refusing_or_absent_server_names_the_url_and_what_to_do_offline(tmp_path, server):
    server.modes["/CUB_200_2011.tgz"] = "refuse"
    url = server.url("/CUB_200_2011.tgz")
    with pytest.raises(DatasetError, match="Forbidden") as error:
        cub_module(tmp_path, url, None).prepare_data()
    assert url in str(error.value) and "data.url=file://" in str(error.value)
    port = server.httpd.server_address[1]
    server.__exit__()  # nothing listens on the port any more: connection refused
    with pytest.raises(DatasetError, match=f"127.0.0.1:{port}"):
        cub_module(tmp_path, url, None).prepare_data()
    assert not (tmp_path / "CUB_200_2011").exists() and leftovers(tmp_path) == []


def test_an_archive_without_the_dataset_folder_is_refused(tmp_path, server):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        info = tarfile.TarInfo("README")
        tar.addfile(info, io.BytesIO(b""))
    server.files["/other.tgz"] = buffer.getvalue()
    with pytest.raises(DatasetError, match="holds no CUB_200_2011/ folder"):
        cub_module(tmp_path, server.url("/other.tgz"), None).prepare_data()


def test_file_urls_work_for_an_archive_already_on_disk(tmp_path, archives):
    archive = tmp_path / "CUB_200_2011.tgz"
    archive.write_bytes(archives["/CUB_200_2011.tgz"])
    module = cub_module(tmp_path / "data", archive.as_uri(), md5_of(archive.read_bytes()))
    module.prepare_data()
    assert (tmp_path / "data" / "CUB_200_2011" / "images.txt").is_file()


def test_the_official_archive_must_hold_the_official_counts(tmp_path):
    make_cub(tmp_path, num_classes=2, train_per_class=2, test_per_class=1)
    cub.verify_cub(tmp_path, official=False)
    with pytest.raises(DatasetError, match=r"6 images \(official: 11,788\), 2 classes \(official: 200\)"):
        cub.verify_cub(tmp_path, official=True)
    make_tiny_imagenet(tmp_path, num_classes=2, train_per_class=2, val_per_class=1)
    tiny_imagenet.verify_tiny_imagenet(tmp_path, official=False)
    with pytest.raises(DatasetError, match=r"4 training images \(official: 100,000\)"):
        tiny_imagenet.verify_tiny_imagenet(tmp_path, official=True)


def test_a_listed_image_missing_from_the_archive_keeps_the_folder_out(tmp_path, server):
    staging = tmp_path / "staging"
    folder, _ = make_cub(staging, num_classes=2, train_per_class=2, test_per_class=1)
    next((folder / "images").rglob("*.jpg")).unlink()
    server.files["/holed.tgz"] = archive_folder(folder, tmp_path / "holed.tgz").read_bytes()
    with pytest.raises(DatasetError, match="missing"):
        cub_module(tmp_path / "data", server.url("/holed.tgz"), None).prepare_data()
    assert not (tmp_path / "data" / "CUB_200_2011").exists() and leftovers(tmp_path / "data") == []


def test_the_later_of_two_writers_discards_its_copy(tmp_path):
    first, second, target = tmp_path / "a", tmp_path / "b", tmp_path / "target"
    for folder, text in ((first, "first"), (second, "second")):
        folder.mkdir()
        (folder / "file").write_text(text)
    assert install(first, target) is True
    assert install(second, target) is False
    assert (target / "file").read_text() == "first"


def test_concurrent_downloads_into_one_folder_leave_one_complete_copy(tmp_path, server, archives):
    data = archives["/CUB_200_2011.tgz"]
    archive = Archive(server.url("/CUB_200_2011.tgz"), md5_of(data), "CUB_200_2011", "")
    results, errors = [], []

    def one_writer():
        try:
            results.append(fetch(archive, tmp_path, lambda root: cub.verify_cub(root, official=False)))
        except Exception as error:  # noqa: BLE001 (reported by the assertion below)
            errors.append(error)

    threads = [threading.Thread(target=one_writer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and results.count(True) == 1
    cub.verify_cub(tmp_path, official=False)
    assert leftovers(tmp_path) == []


def test_other_local_ranks_wait_for_local_rank_zero(monkeypatch):
    class SlowData(torch.nn.Module):  # only what prepare_once_per_node calls
        def __init__(self):
            super().__init__()
            self.ready_at = time.monotonic() + 0.5
            self.prepared_here = False

        def prepare_data(self):
            self.prepared_here = True

        def is_prepared(self):
            return time.monotonic() >= self.ready_at

    monkeypatch.setattr("infocam_lit.run.prepare.POLL_S", 0.05)
    monkeypatch.setenv("LOCAL_RANK", "1")
    waiting = SlowData()
    prepare_once_per_node(waiting)
    assert waiting.is_prepared() and not waiting.prepared_here
    with pytest.raises(TimeoutError, match="local rank 1 waited"):
        prepare_once_per_node(SlowData(), limit_s=0.1)
    monkeypatch.setenv("LOCAL_RANK", "0")
    first = SlowData()
    prepare_once_per_node(first)
    assert first.prepared_here


def test_mnist_download_puts_complete_files_in_place(tmp_path, monkeypatch):
    from torchvision.datasets import MNIST

    served = make_mnist(tmp_path / "served", n_train=20, n_test=10)
    with FileServer() as mirror:
        resources = []
        for file in sorted(served.iterdir()):
            mirror.files[f"/{file.name}"] = file.read_bytes()
            resources.append((file.name, md5_of(file.read_bytes())))
        monkeypatch.setattr(MNIST, "mirrors", [mirror.url("/")])
        monkeypatch.setattr(MNIST, "resources", resources)
        module = datamodule("mnist", root=str(tmp_path / "data"), download=True)
        assert not module.is_prepared()
        module.prepare_data()
    assert module.is_prepared()
    module.setup("fit")
    assert sum(len(module.splits[s][1]) for s in ("train", "val")) == 20
    assert leftovers(tmp_path / "data") == []


def test_double_mnist_cache_is_written_once_under_a_unique_name(tmp_path):
    make_mnist(tmp_path / "data", n_train=120, n_test=40)
    values = dict(root=str(tmp_path / "data"), cache_dir=str(tmp_path / "cache"), train_canvases=50,
                  val_canvases=10, test_canvases=20)
    writer = datamodule("double_mnist", **values)
    assert not writer.is_prepared()
    writer.prepare_data()
    assert writer.is_prepared()
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [writer.cache_file().name]
    stamp = os.stat(writer.cache_file()).st_mtime_ns
    reader = datamodule("double_mnist", **values)
    reader.prepare_data()  # finds the cache: does not write it again
    reader.setup("fit")
    assert os.stat(writer.cache_file()).st_mtime_ns == stamp
    writer.setup("fit")
    assert torch.equal(reader.splits["train"]["image"], writer.splits["train"]["image"])
