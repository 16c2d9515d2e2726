"""The `cstassist` command. Thin: each subcommand parses its options and calls the library."""

from .main import main

__all__ = ["main"]
