"""Shared pytest configuration.

The repository root is deliberately not on sys.path: the tests exercise the installed
``cellsim`` package (including ``cellsim.kernels``, which lives in ``kernels/``).
``tests/`` itself is on sys.path so that ``reference`` (NumPy twins of the kernels) imports.
"""


def pytest_collection_modifyitems(config, items):
    """Tests marked ``slow`` stay out of the default suite, as the marker says; ``-m slow`` runs them."""
    import pytest

    if "slow" in (config.getoption("-m") or ""):
        return
    skip = pytest.mark.skip(reason="slow: run with -m slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
