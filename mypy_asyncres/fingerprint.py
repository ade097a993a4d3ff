"""What mypy's cache and the daemon must follow: the catalogue files and the configuration.

Kept cheap (no JSON parsing): a fully warm mypy run loads the plugin and asks for this
for every module, and checks nothing.
"""

from __future__ import annotations

import hashlib
import os
import sys

from mypy.options import Options

import mypy_asyncres
from mypy_asyncres.config import Config

RELEASE = mypy_asyncres.__version__.partition("+")[0]
# The catalogue's data files sit next to the modules in every install pip makes.
CATALOGUE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "catalogue_data")
# Where the stubs that mypy ships live (mypy.build.default_data_dir() + "/typeshed").
TYPESHED_DIR = os.path.join(os.path.dirname(os.path.abspath(sys.modules["mypy"].__file__ or "")), "typeshed") + os.sep


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


def in_daemon() -> bool:
    """Whether this process is mypy's daemon (`dmypy`): it imported its server module."""
    return "mypy.dmypy_server" in sys.modules


def records_dependencies(options: Options) -> bool:
    """Whether mypy records fine-grained dependencies: the daemon, or `--cache-fine-grained`
    (the plugin then declares what would recheck its verdicts, see daemon.py)."""
    return options.fine_grained_incremental or options.cache_fine_grained


def fold_config_into_version(settings: Config) -> None:
    """In the daemon, put the configuration into `__version__`, which mypy reads right after
    creating the plugin: `dmypy run` restarts when the plugin's snapshot changes, and does
    not ask `report_config_data` again. Elsewhere `report_config_data` alone lets mypy's
    cache follow the configuration, module by module (a change leaves the standard
    library's cache valid). Without configuration the version is the release."""
    if in_daemon() and not settings.is_empty():
        mypy_asyncres.__version__ = f"{RELEASE}+config.{config_digest(settings)}"
    else:
        mypy_asyncres.__version__ = RELEASE


def fingerprint(settings: Config) -> str:
    """One short string for `report_config_data`: mypy compares it for every module."""
    return f"{RELEASE}:{catalogue_digest()}:{config_digest(settings)}"
