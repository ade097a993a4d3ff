"""What mypy's cache and the daemon must follow: the catalogue files and the configuration.

Kept cheap (no JSON parsing): a fully warm mypy run loads the plugin and asks for this
for every module, and checks nothing.
"""

from __future__ import annotations

import hashlib
from importlib import resources

import mypy_asyncres
from mypy_asyncres.config import Config

RELEASE = mypy_asyncres.__version__.partition("+")[0]


def catalogue_digest() -> str:
    digest = hashlib.sha256()
    folder = resources.files("mypy_asyncres").joinpath("catalogue_data")
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if path.name.endswith(".json"):
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def fold_config_into_version(settings: Config) -> None:
    """Put the configuration into `__version__`, which mypy reads right after creating the
    plugin: its cache and the daemon (`dmypy run` restarts on a changed plugin snapshot)
    then follow configuration changes. Without configuration the version is the release."""
    data = settings.as_data()
    if any(data.values()):
        digest = hashlib.sha256(repr(sorted(data.items())).encode()).hexdigest()[:10]
        mypy_asyncres.__version__ = f"{RELEASE}+config.{digest}"
    else:
        mypy_asyncres.__version__ = RELEASE
