"""The ``smallcap`` command line: typer commands (``cli.app``), the glue they call
(``cli.glue``) and terminal presentation (``cli.present``). The only layer that imports all others."""
