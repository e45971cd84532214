"""The vault: the only door to bank data.

Bank data is stored encrypted per person (AES-256-GCM under a per-person data key that a
master key wraps), read only for a named purpose under a live grant, and every read or
refused read is appended to a per-person hash chain the person can inspect. Erasing a
person deletes their data key, which makes every ciphertext of theirs unreadable.
"""
