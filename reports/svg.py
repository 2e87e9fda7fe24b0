"""Our matplotlib figures as inline SVG text, in one house style."""

from __future__ import annotations

from io import StringIO


def finish_svg(fig, ax) -> str:
    """``fig`` as SVG text (from ``<svg``, no XML prolog) in the house style: no top or right
    spine, tight layout; the figure is closed."""
    import matplotlib.pyplot as plt

    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    buf = StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]
