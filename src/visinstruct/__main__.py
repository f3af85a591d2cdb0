"""``python -m visinstruct`` runs the command line."""

from visinstruct.cli import main

main()
