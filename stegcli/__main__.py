"""``python -m stegcli`` runs the ``steg`` command."""

from stegcli.cli.app import main

main()
