"""Configuration: TOML in, frozen validated SI objects out (the only reader of user input)."""

from .loader import ConfigError, library_root, load_config
from .schema import Config

__all__ = ["Config", "ConfigError", "load_config", "library_root"]
