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
    from mypy_asyncres.names import CLASS_RELEASE_METHODS

    return CLASS_RELEASE_METHODS | frozenset(settings.release_methods)


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
                raise ConfigError(f"{config_file}: error: invalid TOML: {exc}") from None
        section = data.get("tool", {}).get("mypy_asyncres")
        if section is None:
            return Config()
        if not isinstance(section, dict):
            raise ConfigError(f"{config_file}: error: [{TOML_SECTION}] must be a table")
        return _parse(section, config_file, f"[{TOML_SECTION}]", from_ini=False)
    try:
        with open(config_file, "rb") as f:
            text = f.read()
    except OSError as exc:
        raise ConfigError(f"{config_file}: error: cannot read it: {exc.strerror}") from None
    if f"[{INI_SECTION}]".encode() not in text:
        # No section (its header is `[mypy_asyncres]` as written): nothing to parse.
        # configparser would cost every warm run ~0.7 M instructions.
        return Config()
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read(config_file)
    except configparser.Error as exc:
        raise ConfigError(f"{config_file}: error: {exc}".replace("\n", " ")) from None
    if not parser.has_section(INI_SECTION):
        return Config()
    return _parse(dict(parser.items(INI_SECTION)), config_file, f"[{INI_SECTION}]", from_ini=True)


def _parse(section: Mapping[str, object], path: str, where: str, from_ini: bool) -> Config:
    values: dict[str, tuple[str, ...]] = {}
    flags: dict[str, bool] = {}
    for key, raw in section.items():
        if key not in KEYS:
            known = ", ".join(KEYS)
            raise ConfigError(f'{path}: error: {where} unknown key "{key}" (known keys: {known})')
        if key in _BOOL_KEYS:
            flag = _flag(raw, from_ini)
            if flag is None:
                expected = "true or false"
                raise ConfigError(f"{path}: error: {where} {key} = {raw!r}: expected {expected}")
            flags[key] = flag
            continue
        names = _names(raw, from_ini)
        if names is None:
            expected = "a comma-separated list of names" if from_ini else "a list of strings"
            raise ConfigError(f"{path}: error: {where} {key} = {raw!r}: expected {expected}")
        for name in names:
            if key in _METHOD_KEYS:
                if not re.match(_IDENTIFIER, name):
                    raise ConfigError(
                        f'{path}: error: {where} {key}: "{name}" is not a method name (write it as "close")'
                    )
            elif not re.match(_DOTTED_NAME, name):
                raise ConfigError(
                    f'{path}: error: {where} {key}: "{name}" is not a fully-qualified name '
                    '(write it as "package.module.Name")'
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
