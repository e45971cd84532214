"""A complete sandbox bank speaking Berlin Group NextGenPSD2 XS2A 1.3.11.

Several fictional banks live in one process, each under ``/banks/<bank-id>``. The sandbox
is a separate system from the platform: the platform only ever talks to it over HTTP.
"""
