"""The ``smallcap`` command line, the only layer that imports all others.

One module per command family (``backtest_cmds``, ``study_cmds``, ``event_cmds``, ``data_cmds``,
``runs_cmds``), assembled by ``cli.app`` (which also holds the entry point). They share the
options and consoles of ``cli.options``, the parsing of ``cli.parse``, the calls of ``cli.glue``
and ``cli.study_glue``, the tables of ``cli.present`` and the spinners and bars of
``cli.progress``.
"""
