"""Tests of the vault: encryption, keys, purposes, the audit chain."""
