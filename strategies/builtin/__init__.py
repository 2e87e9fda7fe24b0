"""The built-in rotation rules, one module per family. Every module here is imported by the
registry (no list to edit): drop a new ``family.py`` in this folder and decorate its class with
``@register``."""
