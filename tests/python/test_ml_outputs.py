"""stack_outputs: several frames in one table, each recoverable with its types."""

import pandas as pd

from bankmart.ml.outputs import stack_outputs


def test_each_frame_comes_back_from_the_stack():
    a = pd.DataFrame({"customer_id": ["C1", "C2"], "segment_id": ["x", "y"], "score": [0.5, 1.5]})
    b = pd.DataFrame({"k": [2, 3], "is_chosen": [False, True]})
    stacked = stack_outputs({"assignments": a, "diagnostics": b})

    assert list(stacked.columns[:1]) == ["output"]
    assert len(stacked) == 4
    back_a = stacked[stacked["output"] == "assignments"][a.columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(back_a, a)
    back_b = stacked[stacked["output"] == "diagnostics"][b.columns].reset_index(drop=True)
    assert back_b["k"].tolist() == [2, 3]
    assert back_b["is_chosen"].tolist() == [False, True]
    # nullable dtypes survive the NULLs contributed by the other frame
    assert str(stacked["k"].dtype) == "Int64"
    assert str(stacked["is_chosen"].dtype) == "boolean"
    assert stacked.loc[stacked["output"] == "assignments", "k"].isna().all()
