"""Deterministic synthetic retail bank: the raw files the warehouse is built and tested on.

`generate(BankSpec(...), out)` writes a bank folder (raw/ + ground_truth/, see the team brief's
"Raw data layout"); `bankmart generate` is the command-line face of it (cli.py).
"""

from bankmart.generate.bank import BankSpec, customers_for_transactions, generate

__all__ = ["BankSpec", "customers_for_transactions", "generate"]
