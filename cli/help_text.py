"""Help texts as written: example command lines stay one per line.

click rewraps every paragraph of a command's docstring to the terminal's width, so the examples
under "Examples:" ran together into one paragraph. A paragraph that starts with click's
``\\b`` marker is printed as written; :func:`keep_examples` puts every run of lines that start
with ``smallcap`` into such a paragraph (and moves ``Example: smallcap ...`` to a line of its
own), for every command of the app, including those added later.
"""

from __future__ import annotations

import re

import click

EXAMPLE = re.compile(r"^\s*smallcap\s")
INLINE = re.compile(r"^(\s*Examples?:)\s+(smallcap\s.*)$")


def examples_verbatim(text: str) -> str:
    """``text`` (a command's help) with its example lines kept one per line (see module doc)."""
    out: list[str] = []
    in_block = False
    for line in text.splitlines():
        inline = INLINE.match(line)
        if inline:
            out += [inline.group(1), ""]
            line = "  " + inline.group(2)
        if EXAMPLE.match(line):
            if not in_block:
                if out and out[-1].strip():
                    out.append("")
                out.append("\b")
                in_block = True
        elif in_block:
            in_block = False
            if line.strip():
                out.append("")
        out.append(line)
    return "\n".join(out)


def keep_examples(command: click.Command) -> click.Command:
    """Apply :func:`examples_verbatim` to ``command`` and every sub-command; return it."""
    if command.help:
        command.help = examples_verbatim(command.help)
    for sub in getattr(command, "commands", {}).values():
        keep_examples(sub)
    return command
