"""Errors a user can act on: the CLI prints their message, never a traceback."""


class BankmartError(Exception):
    """A problem with the user's input or environment, with a message saying how to fix it."""
