"""What mypy's cache follows: the release and the catalogue's contents in `__version__`,
the configuration in `report_config_data` (see cache/fingerprint.py)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from mypy.options import Options
from mypy.plugin import ReportConfigContext

import mypy_asyncres
from mypy_asyncres.cache import fingerprint
from mypy_asyncres.router import AsyncResPlugin


def test_catalogue_digest_follows_contents_not_times(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "catalogue_data"
    shutil.copytree(fingerprint.CATALOGUE_DIR, copy)
    monkeypatch.setattr(fingerprint, "CATALOGUE_DIR", str(copy))
    before = fingerprint.catalogue_digest()
    for path in copy.iterdir():  # a fresh install of the same release
        os.utime(path, ns=(1, 1))
    assert fingerprint.catalogue_digest() == before
    edited = copy / "httpx.json"
    edited.write_bytes(edited.read_bytes().replace(b"]", b" ]", 1))
    assert fingerprint.catalogue_digest() != before


def _plugin(tmp_path: Path, config: str) -> AsyncResPlugin:
    options = Options()
    options.config_file = str(tmp_path / "mypy.ini")
    (tmp_path / "mypy.ini").write_text(config)
    return AsyncResPlugin(options)


def test_configuration_goes_to_report_config_data(tmp_path: Path) -> None:
    checked = ReportConfigContext("app", str(tmp_path / "app.py"), is_check=False)
    stub = ReportConfigContext("os", os.path.join(fingerprint.TYPESHED_DIR, "stdlib", "os", "__init__.pyi"), False)
    unconfigured = _plugin(tmp_path, "[mypy]\nplugins = mypy_asyncres\n")
    assert (unconfigured.report_config_data(checked), unconfigured.report_config_data(stub)) == (None, None)
    configured = _plugin(tmp_path, "[mypy]\n[mypy_asyncres]\nresources = app.Session\n")
    data = configured.report_config_data(checked)
    assert isinstance(data, str) and data
    assert configured.report_config_data(stub) is None
    other = _plugin(tmp_path, "[mypy]\n[mypy_asyncres]\nresources = app.Other\n")
    assert other.report_config_data(checked) not in (None, data)


def test_version_names_the_release_and_the_catalogue(tmp_path: Path) -> None:
    _plugin(tmp_path, "[mypy]\n")
    release, _, local = mypy_asyncres.__version__.partition("+")
    assert (release, local) == (fingerprint.RELEASE, f"catalogue.{fingerprint.catalogue_digest()}")
