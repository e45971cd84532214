"""bankchat: banking inside a messenger, built so that a bank can trust it."""

__version__ = "0.1.0"
