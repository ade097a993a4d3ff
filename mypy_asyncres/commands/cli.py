"""`mypy-asyncres`: mypy with the plugin switched on, every mypy argument passed through.

mypy has no `--plugin` flag and loads plugins only from a configuration file, so
this parses mypy's own options, adds the plugin (and, when the project has no
configuration file, a bundled one that only enables it), then runs mypy's build
the way `mypy.main.main` does. Exit codes are mypy's: 0 clean, 1 errors, 2 crash
or usage error.
"""

from __future__ import annotations

import sys
import time
from importlib import resources
from typing import TextIO

PLUGIN = "mypy_asyncres"
PROGRAM = "mypy-asyncres"
DOCS = "https://github.com/mypy-asyncres/mypy-asyncres/tree/main/docs"

HELP = f"""\
{PROGRAM}: mypy with the mypy_asyncres plugin switched on. It reports resources
(sessions, clients, files, pools, processes, task groups) that are not entered with
`with` / `async with`, and resources used after the block that released them.

Options of {PROGRAM} (before or among mypy's):
  --list-resources      print the effective catalogue for this project and
                        environment (after its configuration) and exit
  --json                with --list-resources: as JSON
  --stats               end the run with one line counting the resources
                        created, entered, handed off and reported
  --version             print the plugin's and mypy's versions and exit

Error codes: resource-not-entered, resource-not-released, resource-manual-close,
resource-global, resource-owner-hint, resource-needs-closing,
resource-used-after-exit, resource-invalid-mark, resource-internal.
Configuration: [tool.mypy_asyncres] in pyproject.toml, [mypy_asyncres] in mypy.ini.
Documentation: {DOCS}

mypy's own options follow.

"""


def switch_on_plugin(plugins: list[str], config_file: str | None) -> tuple[list[str], str]:
    """The plugin list and configuration file with the plugin enabled (it goes last:
    a hook it returns would hide those of plugins listed after it)."""
    if PLUGIN not in plugins:
        plugins = [*plugins, PLUGIN]
    if config_file is None:
        config_file = str(resources.files("mypy_asyncres.commands").joinpath("cli_default.ini"))
    return plugins, config_file


def _take(args: list[str], flag: str) -> bool:
    """Remove the plugin's own flag from the arguments mypy will see."""
    if flag in args:
        args.remove(flag)
        return True
    return False


def version_line() -> str:
    import platform

    from mypy.version import __version__ as mypy_version

    from mypy_asyncres import __version__

    return f"{PROGRAM} {__version__.partition('+')[0]} (mypy {mypy_version}, Python {platform.python_version()})"


def main(args: list[str] | None = None, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> None:
    args = list(sys.argv[1:] if args is None else args)
    if "--version" in args or "-V" in args:
        stdout.write(version_line() + "\n")
        sys.exit(0)
    if "--help" in args or "-h" in args:
        stdout.write(HELP)
        stdout.flush()
    list_resources = _take(args, "--list-resources")
    as_json = _take(args, "--json")
    show_stats = _take(args, "--stats")
    try:
        from mypy import util
    except ImportError:
        stderr.write(f'{PROGRAM}: error: mypy is not installed here: pip install "mypy>=2.0,<2.5"\n')
        sys.exit(2)
    from mypy.defaults import RECURSION_LIMIT
    from mypy.fscache import FileSystemCache
    from mypy.main import process_options, run_build

    util.check_python_version(PROGRAM)
    started = time.time()
    sys.setrecursionlimit(RECURSION_LIMIT)
    fscache = FileSystemCache()
    if list_resources:
        # Only the configuration file matters (mypy finds it as for a run); nothing is checked.
        chosen = [
            a for i, a in enumerate(args) if a.startswith("--config-file") or args[i - 1 : i] == ["--config-file"]
        ]
        _, found = process_options(
            [*chosen, "-c", "pass"], stdout=stdout, stderr=stderr, fscache=fscache, program=PROGRAM
        )
        _list_resources(found.config_file, as_json, stdout, stderr)
    sources, options = process_options(args, stdout=stdout, stderr=stderr, fscache=fscache, program=PROGRAM)
    if show_stats:
        from mypy_asyncres.output import stats

        stats.enabled = True
    options.plugins, options.config_file = switch_on_plugin(options.plugins, options.config_file)
    if options.install_types:
        stderr.write(f"{PROGRAM}: error: --install-types is not supported here; run mypy --install-types\n")
        sys.exit(2)
    if options.num_workers:
        options.native_parser = True  # as mypy's main does for parallel checking

    _, messages, blockers = run_build(sources, options, fscache, started, stdout, stderr)

    formatter = util.FancyFormatter(stdout, stderr, options.hide_error_codes, hide_success=bool(options.output))
    n_errors, n_notes, n_files = util.count_stats(messages)
    code = (2 if blockers else 1) if messages and n_notes < len(messages) else 0
    if options.error_summary:
        if n_errors:
            stdout.write(
                formatter.format_error(
                    n_errors, n_files, len(sources), blockers=blockers, use_color=options.color_output
                )
                + "\n"
            )
        elif not messages or n_notes == len(messages):
            stdout.write(formatter.format_success(len(sources), options.color_output) + "\n")
    if show_stats:
        from mypy_asyncres.output import stats

        stdout.write(stats.summary() + "\n")
    stdout.flush()
    sys.exit(code)


def _list_resources(config_file: str | None, as_json: bool, stdout: TextIO, stderr: TextIO) -> None:
    from mypy_asyncres import config
    from mypy_asyncres.commands.listing import effective, render

    try:
        settings = config.load(config_file)
        rows = effective(settings, config_file or "")
    except config.ConfigError as exc:
        stderr.write(f"{exc}\n")
        sys.exit(2)
    stdout.write(render(rows, as_json) + "\n")
    sys.exit(0)
