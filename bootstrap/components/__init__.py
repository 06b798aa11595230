"""The bootstrap program's components: the two pipeline identities and the scoped assignment role (a separate
Pulumi project from the main one; offline/trees.py keeps this `components` package apart from the main project's)."""
