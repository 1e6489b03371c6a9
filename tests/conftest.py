"""Shared pytest configuration.

The repository root is deliberately not on sys.path: the tests exercise the installed
``cellsim`` package (including ``cellsim.kernels``, which lives in ``kernels/``).
``tests/`` itself is on sys.path so that ``reference`` (NumPy twins of the kernels) imports.
"""
