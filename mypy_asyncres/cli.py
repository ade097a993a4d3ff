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


def switch_on_plugin(plugins: list[str], config_file: str | None) -> tuple[list[str], str]:
    """The plugin list and configuration file with the plugin enabled (it goes last:
    a hook it returns would hide those of plugins listed after it)."""
    if PLUGIN not in plugins:
        plugins = [*plugins, PLUGIN]
    if config_file is None:
        config_file = str(resources.files(PLUGIN).joinpath("cli_default.ini"))
    return plugins, config_file


def main(args: list[str] | None = None, stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> None:
    from mypy import util
    from mypy.defaults import RECURSION_LIMIT
    from mypy.fscache import FileSystemCache
    from mypy.main import process_options, run_build

    util.check_python_version(PROGRAM)
    started = time.time()
    sys.setrecursionlimit(RECURSION_LIMIT)
    fscache = FileSystemCache()
    sources, options = process_options(
        sys.argv[1:] if args is None else args,
        stdout=stdout,
        stderr=stderr,
        fscache=fscache,
        program=PROGRAM,
    )
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
                formatter.format_error(n_errors, n_files, len(sources), blockers=blockers, use_color=options.color_output)
                + "\n"
            )
        elif not messages or n_notes == len(messages):
            stdout.write(formatter.format_success(len(sources), options.color_output) + "\n")
    stdout.flush()
    sys.exit(code)
