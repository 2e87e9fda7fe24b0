"""The ``smallcap`` command line: typer commands (``cli.app``), the glue they call
(``cli.glue``), terminal presentation (``cli.present``), the ``data`` and ``runs`` sub-commands
(``cli.data_cmds``, ``cli.runs_cmds``) and shared options (``cli.options``). The only layer that imports all others."""
