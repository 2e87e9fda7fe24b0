"""Developer tools outside the layers: they may import any layer, and no layer imports them.

``readme_table``, ``readme_july2024`` and ``readme_gem`` generate the README's numbers by running
what the commands run (``python -m tools.readme_table``; ``tests/test_readme.py`` checks the README
holds exactly their output).
"""
