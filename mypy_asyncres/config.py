"""The plugin's own configuration, read from the file mypy itself uses.

`[tool.mypy_asyncres]` in pyproject.toml, `[mypy_asyncres]` in mypy.ini / setup.cfg
(outside mypy's own sections: mypy reads `[mypy-*]` as per-module options and warns
about unknown keys under `[tool.mypy]`). Pure Python; unit-tested without mypy.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Final

INI_SECTION: Final = "mypy_asyncres"
TOML_SECTION: Final = "tool.mypy_asyncres"
KEYS: Final = ("resources", "ignore_resources", "needs_closing", "release_methods", "owners_are_resources")
# Keys whose values are method names, not fully-qualified names.
_METHOD_KEYS: Final = ("release_methods",)
_BOOL_KEYS: Final = ("owners_are_resources",)
# A pattern, compiled on use: every mypy run imports this module, few have a section.
_DOTTED_NAME: Final = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+$"
_IDENTIFIER: Final = r"^[A-Za-z_][A-Za-z0-9_]*$"


class ConfigError(Exception):
    """One line naming the file, the key and the value that is wrong."""


# The TOML table spelled like the package (`[tool.mypy-asyncres]`): the same section.
TOML_SPELLINGS: Final = ("mypy_asyncres", "mypy-asyncres")
# In an ini file `[mypy-asyncres]` is mypy's own per-module section for a module named
# "asyncres": it cannot be ours, and is almost always meant to be.
_INI_MISSPELLING: Final = "[mypy-asyncres]"


def error_line(path: str, detail: str) -> str:
    """Every configuration error: `<file>: error: [<section>] <what is wrong>`."""
    section = TOML_SECTION if path.endswith(".toml") else INI_SECTION
    return f"{path}: error: [{section}] {detail}"


class Config:
    """The section's values. A plain class: every mypy run creates this class, and a
    dataclass or NamedTuple costs 0.3 to 1 ms to create."""

    __slots__ = KEYS

    def __init__(
        self,
        resources: tuple[str, ...] = (),
        ignore_resources: tuple[str, ...] = (),
        needs_closing: tuple[str, ...] = (),
        release_methods: tuple[str, ...] = (),
        owners_are_resources: bool = False,
    ) -> None:
        # Extra fully-qualified classes or callables to treat as resources.
        self.resources = resources
        # Catalogue entries to switch off.
        self.ignore_resources = ignore_resources
        # Resources (catalogue or `resources`) whose `__exit__` does not release them.
        self.needs_closing = needs_closing
        # Methods, besides close/aclose/__exit__/__aexit__, where an owner class releases
        # the resources it keeps in attributes.
        self.release_methods = release_methods
        # Strict: every owner class is a resource, and a resource returned from a function
        # without a return annotation is reported.
        self.owners_are_resources = owners_are_resources

    def as_data(self) -> dict[str, object]:
        """JSON-able, for mypy's cache (`report_config_data`)."""
        return {
            key: value if isinstance(value, bool) else sorted(value)
            for key in KEYS
            for value in [getattr(self, key)]
        }

    def is_empty(self) -> bool:
        return not any(getattr(self, key) for key in KEYS)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Config) and self.as_data() == other.as_data()

    __hash__ = None  # type: ignore[assignment]  # mutable-looking: compared, never hashed

    def __repr__(self) -> str:
        return f"Config({', '.join(f'{key}={getattr(self, key)!r}' for key in KEYS)})"


def release_methods(settings: Config) -> frozenset[str]:
    """Where owner classes release their attributes: the usual names and the configured ones."""
    from mypy_asyncres.names import OWNER_RELEASE_METHODS

    return OWNER_RELEASE_METHODS | frozenset(settings.release_methods)


def load(config_file: str | None) -> Config:
    if not config_file:
        return Config()
    if config_file.endswith(".toml"):
        if sys.version_info >= (3, 11):
            import tomllib
        else:  # pragma: no cover - mypy itself depends on tomli on 3.10
            import tomli as tomllib
        with open(config_file, "rb") as f:
            try:
                data = tomllib.load(f)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(error_line(config_file, f"invalid TOML: {exc}")) from None
        tool = data.get("tool", {})
        found = [name for name in TOML_SPELLINGS if name in tool]
        if not found:
            return Config()
        if len(found) > 1:
            raise ConfigError(
                error_line(config_file, "is given twice, as [tool.mypy_asyncres] and [tool.mypy-asyncres]: keep one")
            )
        section = tool[found[0]]
        if not isinstance(section, dict):
            raise ConfigError(error_line(config_file, "must be a table"))
        return _parse(section, config_file, from_ini=False)
    try:
        with open(config_file, "rb") as f:
            text = f.read()
    except OSError as exc:
        raise ConfigError(error_line(config_file, f"cannot read it: {exc.strerror}")) from None
    if _INI_MISSPELLING.encode() in text:
        raise ConfigError(
            error_line(
                config_file,
                f"the section is written [{INI_SECTION}] in an ini file: {_INI_MISSPELLING} is mypy's "
                'own section for a module named "asyncres"',
            )
        )
    if f"[{INI_SECTION}]".encode() not in text:
        # No section (its header is `[mypy_asyncres]` as written): nothing to parse.
        # (Importing configparser is a cost every warm run would pay.)
        return Config()
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read(config_file)
    except configparser.Error as exc:
        raise ConfigError(error_line(config_file, str(exc).replace("\n", " "))) from None
    if not parser.has_section(INI_SECTION):
        return Config()
    return _parse(dict(parser.items(INI_SECTION)), config_file, from_ini=True)


def _parse(section: Mapping[str, object], path: str, from_ini: bool) -> Config:
    values: dict[str, tuple[str, ...]] = {}
    flags: dict[str, bool] = {}
    for key, raw in section.items():
        if key not in KEYS:
            known = ", ".join(KEYS)
            raise ConfigError(error_line(path, f'unknown key "{key}" (known keys: {known})'))
        if key in _BOOL_KEYS:
            flag = _flag(raw, from_ini)
            if flag is None:
                expected = "true or false"
                raise ConfigError(error_line(path, f"{key} = {raw!r}: expected {expected}"))
            flags[key] = flag
            continue
        names = _names(raw, from_ini)
        if names is None:
            expected = "a comma-separated list of names" if from_ini else "a list of strings"
            raise ConfigError(error_line(path, f"{key} = {raw!r}: expected {expected}"))
        for name in names:
            if key in _METHOD_KEYS:
                if not re.match(_IDENTIFIER, name):
                    raise ConfigError(error_line(path, f'{key}: "{name}" is not a method name (write it as "close")'))
            elif not re.match(_DOTTED_NAME, name):
                raise ConfigError(
                    error_line(
                        path, f'{key}: "{name}" is not a fully-qualified name (write it as "package.module.Name")'
                    )
                )
        values[key] = names
    return Config(
        resources=values.get("resources", ()),
        ignore_resources=values.get("ignore_resources", ()),
        needs_closing=values.get("needs_closing", ()),
        release_methods=values.get("release_methods", ()),
        owners_are_resources=flags.get("owners_are_resources", False),
    )


def _flag(raw: object, from_ini: bool) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if from_ini and isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
        return raw.strip().lower() == "true"
    return None


def _names(raw: object, from_ini: bool) -> tuple[str, ...] | None:
    if from_ini and isinstance(raw, str):
        return tuple(part.strip() for part in re.split(r"[,\n]", raw) if part.strip())
    if isinstance(raw, list) and all(isinstance(item, str) for item in raw):
        return tuple(item.strip() for item in raw)
    return None
