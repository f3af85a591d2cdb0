"""The ``visinstruct`` command line. The only package that prints."""

from __future__ import annotations

from visinstruct.cli.main import main

__all__ = ["main"]
