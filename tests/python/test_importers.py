"""`bankmart import`: each public format's fixture (tests/python/fixtures/public, small files
written to the documented formats, with their traps) imported through the real command, and
every kind of bad file refused with the file and column named, exit 2 and nothing written.

The builds of the imported banks through real dbt, and the known analyses on them, are in
test_imported_banks.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from bankmart.importers.reader import Column, column_key, parse_number, read_csv
from conftest import PROJECT_DIR, run_cli

FIXTURES = PROJECT_DIR / "tests" / "python" / "fixtures" / "public"

#: format -> (fixture files, extra options)
IMPORTS: dict[str, tuple[list[str], list[str]]] = {
    "mitron": (["mitron_dim_customers.csv", "mitron_fact_spends.csv"], ["--year", "2023"]),
    "kaggle-transactions": (["kaggle_bank_transactions.csv"], []),
    "creditcard": (["creditcard.csv"], ["--customers", "20"]),
    "microfinance": (["microfinance_transactions.csv"], []),
    "holdings": (["Banking.csv"], ["--snapshot-date", "2023-12-31"]),
}


def import_format(fmt: str, out: Path, env: dict[str, str] | None = None, *, check: bool = True):
    files, options = IMPORTS[fmt]
    return run_cli("import", fmt, *[str(FIXTURES / f) for f in files], *options, "--out", str(out),
                   env=env or _env(out.parent), check=check)


def _env(root: Path) -> dict[str, str]:
    from conftest import bank_env

    return bank_env(root)


def table(out: Path, name: str) -> list[dict]:
    return pq.read_table(out / name).to_pylist()


def report(out: Path) -> dict:
    return json.loads((out / "_import_report.json").read_text())


def leftovers(out: Path) -> list[Path]:
    """What a failed import may have left: --out itself, or a hidden sibling."""
    return [p for p in out.parent.iterdir() if p.name == out.name or p.name.startswith(f".{out.name}.")]


# ---------------------------------------------------------------------------------------------
# The tolerant reader
# ---------------------------------------------------------------------------------------------


def test_header_keys_ignore_case_spaces_and_punctuation() -> None:
    assert column_key(" marital status ") == "marital_status"
    assert column_key("\ufeffClient ID") == "client_id"
    assert column_key("TransactionAmount (INR)") == "transactionamount_inr"


@pytest.mark.parametrize(
    ("text", "percent", "expected"),
    [
        ("86,600", False, (86600.0, True)),
        ("1,23,456.50", False, (123456.5, True)),
        ("₹ 1,200", False, (1200.0, True)),
        ("12.5%", True, (0.125, True)),
        ("12.5%", False, (None, False)),
        ("abc", False, (None, False)),
        (None, False, (None, True)),
    ],
)
def test_numbers_as_the_copies_write_them(text: str | None, percent: bool, expected: tuple) -> None:
    value, readable = parse_number(text, percent=percent)
    assert (value, readable) == expected


def test_reader_takes_bom_crlf_missing_markers_and_ragged_lines(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(
        b"\xef\xbb\xbf ID , Value ,,\r\n"
        b"a,1,,\r\n"
        b"b,nan\r\n"  # fewer values than columns: the rest is missing
        b",,,\r\n"  # a blank line
        b"c,NULL,,,extra\r\n"  # more values than columns
        b"d,NA,,\r\n"
    )
    read = read_csv(path, "test", [Column("id"), Column("value")])
    assert read.column("id").to_pylist() == ["a", "b", "d"]
    assert read.column("value").to_pylist() == ["1", None, None]
    assert read.line_endings == "CRLF" and read.encoding == "utf-8-sig"
    assert {r: e["rows"] for r, e in read.rejected.items()} == {"blank_line": 1, "more_values_than_columns": 1}
    assert read.missing_values == {"value": 2}
    assert [c["why"] for c in read.ignored] == ["empty column (no header, no values)"] * 2


# ---------------------------------------------------------------------------------------------
# Each format's fixture through the real command
# ---------------------------------------------------------------------------------------------


def test_mitron_lands_monthly_aggregates_with_a_derived_year(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    proc = import_format("mitron", out)
    assert "rows written: customers 12, monthly_spend 433" in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ["_import_report.json", "customers", "monthly_spend"]
    customers = table(out, "customers")
    # ' avg_income ' header, '55,917'-style thousands separators
    assert {c["customer_id"]: c["monthly_income"] for c in customers}["ATQCUS0003"] == pytest.approx(
        float("".join(ch for ch in _fixture_value("mitron_dim_customers.csv", "ATQCUS0003", 6) if ch.isdigit()))
    )
    assert all(c["derived_columns"] is None for c in customers)
    spends = table(out, "monthly_spend")
    assert {s["spend_month"] for s in spends} == {f"2023-{m:02d}" for m in range(5, 11)}  # 'june' too
    assert {s["derived_columns"] for s in spends} == {"spend_month"}
    rep = report(out)
    ignored = {c["column"]: c["why"] for c in rep["columns_ignored"]}
    assert ignored == {"<column 8>": "empty column (no header, no values)", "income share %": "not part of the format"}
    assert [d["column"] for d in rep["derived"]] == ["spend_month"]


def _fixture_value(name: str, key: str, index: int) -> str:
    import csv

    with (FIXTURES / name).open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.reader(handle):
            if row and row[0] == key:
                return row[index]
    raise KeyError(key)


def test_kaggle_derives_accounts_customers_and_balances(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    import_format("kaggle-transactions", out)
    transactions = table(out, "transactions")
    assert len(transactions) == 122
    # dates, times and birth dates land exactly as written
    first = transactions[0]
    assert (first["transaction_date"], first["transaction_time"]) == ("30/8/16", "131642")
    dates = [t["transaction_date"] for t in transactions]
    assert any("-" in d for d in dates) and any("/" in d for d in dates)  # mixed forms, kept
    assert {t["derived_columns"] for t in transactions} == {"account_id"}
    accounts = table(out, "accounts")
    assert len(accounts) == 60
    assert {(a["account_type"], a["derived_columns"]) for a in accounts} == {("savings", "*")}
    assert all(a["account_id"] == f"ACC-{a['customer_id']}" for a in accounts)
    customers = {c["customer_id"]: c for c in table(out, "customers")}
    assert len(customers) == 60
    # customer 6 has two birth dates: the most frequent wins
    six = "C1047514"
    assert customers[six]["birth_date"] != "3/4/85"
    assert customers["C1087109"]["birth_date"] == "1/1/1800"  # the sentinel lands as given
    assert customers["C1102947"]["birth_date"] is None  # 'nan'
    balances = table(out, "account_balances")
    assert {b["derived_columns"] for b in balances} == {"account_id,balance_month"}
    assert len({(b["account_id"], b["balance_month"]) for b in balances}) == len(balances)
    rep = report(out)
    assert rep["facts"]["customers_with_conflicting_dob"] == 1
    assert rep["missing_values"]["kaggle_bank_transactions.csv:customerdob"] == 6


def test_creditcard_ids_follow_the_row_so_duplicates_share_one(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    import_format("creditcard", out)
    again = tmp_path / "again"
    import_format("creditcard", again)
    transactions = table(out, "transactions")
    assert transactions == table(again, "transactions")  # deterministic
    ids = [t["transaction_id"] for t in transactions]
    assert len(ids) == 153 and len(set(ids)) == 150  # three exact duplicate rows
    assert transactions[0]["transaction_at"] == "2013-09-01 00:07:38"  # Time 458 s
    assert {t["derived_columns"] for t in transactions} == {
        "transaction_id,account_id,customer_id,transaction_at,payment_type"}
    assert sum(t["is_fraud"] for t in transactions) == 13
    assert len(table(out, "customers")) == 20
    assert {a["account_type"] for a in table(out, "accounts")} == {"credit_card"}
    assert report(out)["facts"]["rows_sharing_an_id_with_an_earlier_row"] == 3


def test_microfinance_rows_become_loans_and_repayments(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    import_format("microfinance", out)
    loans = table(out, "loans")
    repayments = table(out, "loan_repayments")
    assert (len(loans), len(repayments)) == (107, 95)
    assert {r["derived_columns"] for r in repayments} == {"repayment_id,amount"}
    principal = {loan["loan_id"]: loan["principal_amount"] for loan in loans}
    assert all(r["amount"] == principal[r["loan_id"]] for r in repayments)
    assert {c["derived_columns"] for c in table(out, "customers")} == {"*"}


def test_holdings_lands_customers_and_long_holdings(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    import_format("holdings", out)
    customers = table(out, "customers")
    assert len(customers) == 40
    assert customers[0]["customer_id"] == "IND10037"  # the BOM is not part of the first header
    assert customers[0]["relationship_type"] == "Institutional" and customers[0]["gender"] == "Female"
    assert customers[0]["monthly_income"] == pytest.approx(55095.13 / 12)
    assert customers[0]["joined_date"] == "26/9/2006"
    assert customers[0]["derived_columns"] == "monthly_income,relationship_type,gender"
    holdings = table(out, "customer_holdings")
    assert len(holdings) == 40 * 9
    cards = next(h for h in holdings if h["customer_id"] == "IND10037" and h["product"] == "Credit Cards")
    assert (cards["balance"], cards["quantity"]) == (1589.20, 3.0)
    assert {h["derived_columns"] for h in holdings} == {"snapshot_date"}
    assert report(out)["facts"]["client_ids_repeated"] == 1


# ---------------------------------------------------------------------------------------------
# Bad files: exit 2, the file (and column) named, no traceback, nothing written
# ---------------------------------------------------------------------------------------------


def _bad(tmp_path: Path, fmt: str, files: list[Path], *needles: str) -> None:
    out = tmp_path / "out"
    proc = run_cli("import", fmt, *map(str, files), "--out", str(out), env=_env(tmp_path), check=False)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in proc.stderr, proc.stderr
    assert leftovers(out) == []


def test_wrong_format_for_the_command(tmp_path: Path) -> None:
    kaggle = FIXTURES / "kaggle_bank_transactions.csv"
    _bad(tmp_path, "creditcard", [kaggle], str(kaggle), "missing column 'time'", "kaggle-transactions")


def test_missing_required_column(tmp_path: Path) -> None:
    path = tmp_path / "transactions.csv"
    path.write_text("customer_id,txn_date,repayment_date\n1,2023-01-01,2023-02-01\n")
    _bad(tmp_path, "microfinance", [path], str(path), "missing column 'amount'")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "Banking.csv"
    path.write_bytes(b"\xef\xbb\xbf\r\n")
    _bad(tmp_path, "holdings", [path], str(path), "the file is empty")


def test_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "creditcard.csv"
    path.write_bytes(bytes(range(256)) * 8)
    _bad(tmp_path, "creditcard", [path], str(path), "binary data")


def test_text_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "bank_transactions.csv"
    path.write_bytes(b"TransactionID,CustomerID\nT1,C\xe91\n")
    _bad(tmp_path, "kaggle-transactions", [path], str(path), "not UTF-8")


def test_mitron_needs_a_customers_and_a_spends_file(tmp_path: Path) -> None:
    spends = FIXTURES / "mitron_fact_spends.csv"
    _bad(tmp_path, "mitron", [spends, spends], "one customers file")


def test_existing_out_is_kept_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "raw"
    import_format("microfinance", out)
    proc = import_format("microfinance", out, check=False)
    assert proc.returncode == 2 and "--force" in proc.stderr
    other = tmp_path / "notes"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    files, _ = IMPORTS["microfinance"]
    proc = run_cli("import", "microfinance", str(FIXTURES / files[0]), "--out", str(other), "--force",
                   env=_env(tmp_path), check=False)
    assert proc.returncode == 2 and (other / "keep.txt").read_text() == "mine"
    run_cli("import", "microfinance", str(FIXTURES / files[0]), "--out", str(out), "--force", env=_env(tmp_path))
