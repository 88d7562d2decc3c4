"""`python -m deskpilot` runs the command-line interface."""

from deskpilot.cli import main

main()
