from mypy_asyncres.commands.cli import main

main()
