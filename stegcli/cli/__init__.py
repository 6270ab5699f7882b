"""The ``steg`` command line: thin Typer commands over the stegcli API."""
