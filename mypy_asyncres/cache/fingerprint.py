"""What mypy's cache and the daemon must follow: the release, the catalogue and the configuration.

mypy records the plugin's `__version__` once per build and `report_config_data` per
module. The release and the catalogue go into the version (they change together, on an
upgrade); the configuration goes to `report_config_data`, so that editing it leaves the
cache of the standard library's stubs valid. Kept cheap (no JSON parsing): a fully warm
mypy run loads the plugin and asks for this, and checks nothing.
"""

from __future__ import annotations

import hashlib
import os
import sys

import mypy_asyncres
from mypy_asyncres.config import Config

RELEASE = mypy_asyncres.__version__.partition("+")[0]
# The catalogue's data files sit next to the modules in every install pip makes.
CATALOGUE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "resources", "catalogue_data")
# Where the stubs that mypy ships live (mypy.build.default_data_dir() + "/typeshed").
TYPESHED_DIR = os.path.join(os.path.dirname(os.path.abspath(sys.modules["mypy"].__file__ or "")), "typeshed") + os.sep


def catalogue_digest() -> str:
    """The names and contents of the catalogue's files. Not their times: a fresh install
    of the same release (a CI job that restores its mypy cache) keeps the cache valid."""
    digest = hashlib.sha256()
    with os.scandir(CATALOGUE_DIR) as found:
        files = sorted(item.name for item in found if item.name.endswith(".json"))
    for name in files:
        with open(os.path.join(CATALOGUE_DIR, name), "rb") as f:
            digest.update(name.encode() + b"\0" + f.read() + b"\0")
    return digest.hexdigest()[:16]


def config_digest(settings: Config) -> str:
    return hashlib.sha256(repr(sorted(settings.as_data().items())).encode()).hexdigest()[:10]


def in_daemon() -> bool:
    """Whether this process is mypy's daemon (`dmypy`): it imported its server module."""
    return "mypy.dmypy_server" in sys.modules


def set_version(settings: Config) -> None:
    """Set `__version__`, which mypy reads right after creating the plugin, to the release
    and the catalogue; in the daemon also the configuration: `dmypy run` restarts when the
    plugin's version changes, and does not ask `report_config_data` again."""
    version = f"{RELEASE}+catalogue.{catalogue_digest()}"
    if in_daemon() and not settings.is_empty():
        version += f".config.{config_digest(settings)}"
    mypy_asyncres.__version__ = version


def config_data(settings: Config) -> str | None:
    """What `report_config_data` returns for the modules whose errors mypy can show: the
    configuration's digest, or None without configuration (a module checked before a
    section was added is then checked again, as one checked before it was removed)."""
    return None if settings.is_empty() else config_digest(settings)
