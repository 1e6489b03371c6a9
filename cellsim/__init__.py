"""cellsim: a simulator of three-layer electrolytic refining of aluminium scrap."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cellsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
