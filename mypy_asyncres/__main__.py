from mypy_asyncres.cli import main

main()
