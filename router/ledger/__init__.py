"""The auditor's record: a SQL ledger fed from the event stream (facts, never conversations)."""

from router.ledger.db import Ledger, LedgerError

__all__ = ["Ledger", "LedgerError"]
