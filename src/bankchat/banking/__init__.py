"""Banking: the bank registry, the NextGenPSD2 connector, consents at the bank, and sync."""
