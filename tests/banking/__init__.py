"""Tests of the banking domain: registry, NextGenPSD2 client, consents, sync."""
