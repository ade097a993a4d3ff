"""`mypy-asyncres --list-resources`: the effective catalogue for this project and
environment, after its configuration.

Each entry is checked against the installed library at run time (its module imported,
the name looked up): "active" when it is there, "not in this version" when the library
lacks it, "library not installed", or "switched off" by `ignore_resources`; configured
names are listed as "configured". mypy resolves the same names in its own analysis; an
entry absent at run time is skipped there too.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from importlib import metadata

from mypy_asyncres.config import Config
from mypy_asyncres.resources.catalogue import CONFIG_LIBRARY, Entry, load_entries, with_config

ACTIVE = "active"
ABSENT = "not in this version"
MISSING = "library not installed"
SWITCHED_OFF = "switched off"
CONFIGURED = "configured"


def effective(config: Config, config_file: str) -> list[tuple[Entry, str, str]]:
    """(entry, status, installed version) for every entry of the catalogue and the
    configuration (may raise ConfigError, as the plugin would)."""
    bundled = load_entries()
    kept = with_config(bundled, config, config_file)
    kept_names = {entry.name for entry in kept}
    rows = []
    for entry in bundled:
        root = entry.name.partition(".")[0]
        version = _version(entry.library, root)
        if entry.name not in kept_names:
            rows.append((entry, SWITCHED_OFF, version))
        elif not _installed(root):
            rows.append((entry, MISSING, ""))
        else:
            rows.append((entry, ACTIVE if _resolves(entry.name) else ABSENT, version))
    rows += [(entry, CONFIGURED, "") for entry in kept if entry.library == CONFIG_LIBRARY]
    return rows


def render(rows: list[tuple[Entry, str, str]], as_json: bool) -> str:
    if as_json:
        return json.dumps(
            [
                {"name": e.name, "library": e.library, "kind": e.kind, "status": status, "version": version}
                for e, status, version in rows
            ],
            indent=2,
        )
    width = max(len(e.name) for e, _, _ in rows)
    lines = [f"{'name':<{width}}  {'kind':<8}  {'library':<10}  status"]
    for e, status, version in rows:
        library = f"{e.library} {version}".strip()
        lines.append(f"{e.name:<{width}}  {e.kind:<8}  {library:<10}  {status}")
    statuses = (ACTIVE, ABSENT, MISSING, SWITCHED_OFF, CONFIGURED)
    counts = {status: sum(1 for _, s, _ in rows if s == status) for status in statuses}
    lines.append(", ".join(f"{n} {status}" for status, n in counts.items() if n))
    return "\n".join(lines)


def _installed(root: str) -> bool:
    try:
        return importlib.util.find_spec(root) is not None
    except (ImportError, ValueError):
        return False


def _version(library: str, root: str) -> str:
    if library == "stdlib":
        return ""
    for name in (library, root):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return ""


def _resolves(name: str) -> bool:
    """Whether `package.module.Name[.member]` exists at run time: the longest importable
    module prefix, then attributes."""
    parts = name.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except Exception:  # noqa: BLE001 - a library that fails to import is not resolved
            continue
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                return False
            obj = getattr(obj, attr)
        return True
    return False
