"""The closed set of purposes for which bank data may be read.

There is deliberately no purpose for advertising, profiling or passing data to third
parties: a read must name a member of this enum, so no code path can even express such a
use. Adding a purpose is a product and legal decision, not a code change to slip in.
"""

from __future__ import annotations

from enum import StrEnum


class Purpose(StrEnum):
    """Why bank data is read; stored in grants and in every audit entry."""

    USER_REQUEST = "user_request"
    FRAUD_PROTECTION = "fraud_protection"
    CUSTOMER_SUPPORT = "customer_support"
    PAYMENT = "payment"
