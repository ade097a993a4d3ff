"""Configuration: parsed without mypy; bad input is one clear line, exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from mypy_asyncres.config import Config, ConfigError, load
from mypy_asyncres.resources.catalogue import CONFIG_LIBRARY, Entry, load_entries, with_config
from tests.test_cli import run_cli


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_toml_section(tmp_path: Path) -> None:
    path = write(tmp_path, "pyproject.toml", """
[tool.mypy]
strict = true
[tool.mypy_asyncres]
resources = ["app.db.Connection", "app.db.connect"]
ignore_resources = ["sqlite3.connect"]
needs_closing = ["app.db.Connection"]
""")
    assert load(path) == Config(
        resources=("app.db.Connection", "app.db.connect"),
        ignore_resources=("sqlite3.connect",),
        needs_closing=("app.db.Connection",),
    )


def test_ini_section_comma_and_newline_lists(tmp_path: Path) -> None:
    path = write(tmp_path, "mypy.ini", "[mypy]\n[mypy_asyncres]\nresources = a.B, c.d\n    e.F\n")
    assert load(path).resources == ("a.B", "c.d", "e.F")


def test_ownership_keys(tmp_path: Path) -> None:
    toml = write(tmp_path, "pyproject.toml", "[tool.mypy_asyncres]\nrelease_methods = ['stop']\nowners_are_resources = true\n")
    loaded = load(toml)
    assert (loaded.release_methods, loaded.owners_are_resources) == (("stop",), True)
    assert not loaded.is_empty()
    ini = write(tmp_path, "mypy.ini", "[mypy_asyncres]\nrelease_methods = stop, shutdown\nowners_are_resources = False\n")
    assert (load(ini).release_methods, load(ini).owners_are_resources) == (("stop", "shutdown"), False)
    assert load(ini).as_data()["owners_are_resources"] is False


def test_setup_cfg_without_section(tmp_path: Path) -> None:
    assert load(write(tmp_path, "setup.cfg", "[mypy]\nstrict = True\n")) == Config()
    assert load(None) == Config()


def test_ini_section_is_found_only_under_its_own_header(tmp_path: Path) -> None:
    # The plugin's name elsewhere (its `plugins` line, another section's value) is no section.
    text = "[mypy]\nplugins = mypy_asyncres\n[mypy-mypy_asyncres]\nignore_errors = True\n"
    assert load(write(tmp_path, "mypy.ini", text)) == Config()
    sectioned = write(tmp_path, "setup.cfg", text + "[mypy_asyncres]\nresources = a.B\n")
    assert load(sectioned).resources == ("a.B",)


def test_unreadable_ini_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^.*missing\.ini: error: \[mypy_asyncres\] cannot read it: No such file or directory$"):
        load(str(tmp_path / "missing.ini"))


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("pyproject.toml", "[tool.mypy_asyncres]\nresource = ['a.B']\n",
         '{path}: error: [tool.mypy_asyncres] unknown key "resource" (known keys: resources, ignore_resources, needs_closing, release_methods, owners_are_resources)'),
        ("pyproject.toml", "[tool.mypy_asyncres]\nowners_are_resources = 'yes'\n",
         "{path}: error: [tool.mypy_asyncres] owners_are_resources = 'yes': expected true or false"),
        ("mypy.ini", "[mypy_asyncres]\nowners_are_resources = 1\n",
         "{path}: error: [mypy_asyncres] owners_are_resources = '1': expected true or false"),
        ("pyproject.toml", "[tool.mypy_asyncres]\nrelease_methods = ['app.close']\n",
         '{path}: error: [tool.mypy_asyncres] release_methods: "app.close" is not a method name (write it as "close")'),
        ("pyproject.toml", "[tool.mypy_asyncres]\nresources = 'a.B'\n",
         "{path}: error: [tool.mypy_asyncres] resources = 'a.B': expected a list of strings"),
        ("pyproject.toml", "[tool.mypy_asyncres]\nresources = [1]\n",
         "{path}: error: [tool.mypy_asyncres] resources = [1]: expected a list of strings"),
        ("pyproject.toml", "[tool.mypy_asyncres]\nresources = ['Session']\n",
         '{path}: error: [tool.mypy_asyncres] resources: "Session" is not a fully-qualified name (write it as "package.module.Name")'),
        ("mypy.ini", "[mypy_asyncres]\nneeds_closing = a.b-c\n",
         '{path}: error: [mypy_asyncres] needs_closing: "a.b-c" is not a fully-qualified name (write it as "package.module.Name")'),
    ],
)
def test_errors_name_file_key_and_value(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(ConfigError) as info:
        load(path)
    assert str(info.value) == message.format(path=path)


def test_ignore_must_name_a_catalogue_entry() -> None:
    entries = load_entries()
    with pytest.raises(ConfigError, match='ignore_resources: "aiohttp.Nope" is not an entry of the catalogue'):
        with_config(entries, Config(ignore_resources=("aiohttp.Nope",)), "pyproject.toml")


def test_with_config_trims_grows_and_marks_needs_closing() -> None:
    entries = load_entries()
    config = Config(
        resources=("app.Conn",),
        ignore_resources=("aiohttp.ClientSession",),
        needs_closing=("app.Conn", "aiohttp.ClientResponse"),
    )
    result = {entry.name: entry for entry in with_config(entries, config, "x")}
    assert "aiohttp.ClientSession" not in result
    assert result["app.Conn"] == Entry("app.Conn", "auto", CONFIG_LIBRARY, exit_releases=False)
    assert result["aiohttp.ClientResponse"].exit_releases is False
    assert result["aiohttp.ClientSession.get"].exit_releases is True


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One mypy cache for the runs below (on each xdist worker): the standard library's
    part of it does not depend on the plugin's configuration, and is analysed once."""
    return tmp_path_factory.mktemp("config-cache")


def test_bad_key_stops_mypy_with_one_line(tmp_path: Path, cache: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.mypy]\n[tool.mypy_asyncres]\nignore = ['x.Y']\n")
    write(tmp_path, "m.py", "x = 1\n")
    result = run_cli(tmp_path, "m.py", cache=cache)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        'pyproject.toml: error: [tool.mypy_asyncres] unknown key "ignore" '
        "(known keys: resources, ignore_resources, needs_closing, release_methods, owners_are_resources)"
    ]
    assert "Traceback" not in result.stdout + result.stderr


def test_configured_name_that_does_not_resolve(tmp_path: Path, cache: Path) -> None:
    write(tmp_path, "mypy.ini", "[mypy]\nplugins = mypy_asyncres\n[mypy_asyncres]\nresources = lib.Sesion\n")
    write(tmp_path, "lib.py", "class Session:\n    pass\n")
    write(tmp_path, "m.py", "import lib\ns = lib.Session()\n")
    result = run_cli(tmp_path, "m.py", cache=cache)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        'mypy.ini: error: [mypy_asyncres] resources: "lib.Sesion" does not resolve: '
        "its module is checked but defines no such name"
    ]


@pytest.mark.parametrize(
    ("name", "files"),
    [
        # The module is checked, but nothing calls into it.
        ("lib.Sesion", {"lib.py": "class Session:\n    pass\n", "m.py": "import lib\nprint(len('x'))\n"}),
        # A "submodule" of a module that is not a package.
        ("lib.sub.Session", {"lib.py": "class Session:\n    pass\n", "m.py": "import lib\ns = lib.Session()\n"}),
        # A method its class lacks.
        ("lib.Session.opne", {"lib.py": "class Session:\n    pass\n", "m.py": "import lib\ns = lib.Session()\n"}),
    ],
)
def test_configured_typo_is_reported_wherever_it_is(
    tmp_path: Path, cache: Path, name: str, files: dict[str, str]
) -> None:
    write(tmp_path, "mypy.ini", f"[mypy]\nplugins = mypy_asyncres\n[mypy_asyncres]\nresources = {name}\n")
    for path, text in files.items():
        write(tmp_path, path, text)
    result = run_cli(tmp_path, "m.py", cache=cache)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [
        f'mypy.ini: error: [mypy_asyncres] resources: "{name}" does not resolve: its module is checked but defines no such name'
    ]


def test_configured_name_of_a_package_not_in_the_build_is_not_an_error(tmp_path: Path, cache: Path) -> None:
    """Like a catalogue entry of a library that is not installed: the run may check only
    part of a project."""
    write(tmp_path, "mypy.ini", "[mypy]\nplugins = mypy_asyncres\n[mypy_asyncres]\nresources = elsewhere.Session\n")
    write(tmp_path, "m.py", "x = len('x')\n")
    result = run_cli(tmp_path, "m.py", cache=cache)
    assert (result.returncode, result.stderr) == (0, "")


def test_toml_table_spelled_like_the_package(tmp_path: Path) -> None:
    path = write(tmp_path, "pyproject.toml", '[tool.mypy-asyncres]\nresources = ["app.db.Conn"]\n')
    assert load(path).resources == ("app.db.Conn",)


def test_toml_table_given_twice(tmp_path: Path) -> None:
    path = write(
        tmp_path, "pyproject.toml", '[tool.mypy_asyncres]\nresources = []\n[tool.mypy-asyncres]\nresources = []\n'
    )
    with pytest.raises(ConfigError) as exc:
        load(path)
    assert str(exc.value) == (
        f"{path}: error: [tool.mypy_asyncres] is given twice, as [tool.mypy_asyncres] and "
        "[tool.mypy-asyncres]: keep one"
    )


def test_ini_section_spelled_like_the_package(tmp_path: Path) -> None:
    path = write(tmp_path, "mypy.ini", "[mypy]\n[mypy-asyncres]\nresources = app.Conn\n")
    with pytest.raises(ConfigError) as exc:
        load(path)
    assert str(exc.value) == (
        f"{path}: error: [mypy_asyncres] the section is written [mypy_asyncres] in an ini file: "
        '[mypy-asyncres] is mypy\'s own section for a module named "asyncres"'
    )


def test_ignoring_a_callable_names_the_class_entry_that_still_matches() -> None:
    from mypy_asyncres.resources.catalogue import load_entries, with_config

    config = Config(ignore_resources=("aiofiles.open",))
    with pytest.raises(ConfigError) as exc:
        with_config(load_entries(), config, "pyproject.toml")
    assert str(exc.value) == (
        'pyproject.toml: error: [tool.mypy_asyncres] ignore_resources: "aiofiles.open" is switched off, but '
        'what it returns is still a resource through "aiofiles.base.AiofilesContextManager": switch that '
        "entry off too"
    )
    both = Config(ignore_resources=("sqlite3.connect", "sqlite3.Connection"))
    names = {entry.name for entry in with_config(load_entries(), both, "mypy.ini")}
    assert not names & {"sqlite3.connect", "sqlite3.Connection"}
