"""What mypy's cache and the daemon must follow: the catalogue files and the configuration.

Kept cheap (no JSON parsing): a fully warm mypy run loads the plugin and asks for this
for every module, and checks nothing.
"""

from __future__ import annotations

import hashlib
import os

import mypy_asyncres
from mypy_asyncres.config import Config

RELEASE = mypy_asyncres.__version__.partition("+")[0]
# The catalogue's data files sit next to the modules in every install pip makes.
CATALOGUE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "catalogue_data")


def catalogue_digest() -> str:
    """Names, sizes and modification times of the catalogue's files: an edited file has a
    new time (stat only: this runs in every mypy run, warm ones included)."""
    parts = []
    with os.scandir(CATALOGUE_DIR) as found:
        for item in found:
            if item.name.endswith(".json"):
                stat = item.stat()
                parts.append(f"{item.name}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("|".join(sorted(parts)).encode()).hexdigest()[:16]


def config_digest(settings: Config) -> str:
    return hashlib.sha256(repr(sorted(settings.as_data().items())).encode()).hexdigest()[:10]


def fold_config_into_version(settings: Config) -> None:
    """Put the configuration into `__version__`, which mypy reads right after creating the
    plugin: its cache and the daemon (`dmypy run` restarts on a changed plugin snapshot)
    then follow configuration changes. Without configuration the version is the release."""
    if not settings.is_empty():
        mypy_asyncres.__version__ = f"{RELEASE}+config.{config_digest(settings)}"
    else:
        mypy_asyncres.__version__ = RELEASE


def fingerprint(settings: Config) -> str:
    """One short string for `report_config_data`: mypy compares it for every module."""
    return f"{RELEASE}:{catalogue_digest()}:{config_digest(settings)}"
