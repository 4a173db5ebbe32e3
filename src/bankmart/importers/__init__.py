"""Importers of the public banking data sets onto the raw contract (``bankmart import``).

One module per format, each with ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args, report) -> {raw table: Arrow table}``; the shared tolerant reader, report and writer
sit beside them. See ``bankmart import --help`` and the README, "Bring a public data set".
"""

#: format name -> module, in the order `bankmart import --help` lists them
FORMATS: dict[str, str] = {
    "mitron": "bankmart.importers.mitron",
    "kaggle-transactions": "bankmart.importers.kaggle",
    "creditcard": "bankmart.importers.creditcard",
    "microfinance": "bankmart.importers.microfinance",
    "holdings": "bankmart.importers.holdings",
}
