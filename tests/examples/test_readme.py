"""The README's Python examples run as written (copied into a fresh folder, in order)."""
from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
# the first line of the README's examples that need a Ray cluster (they are on paper here;
# embed_ray's own tests run it on a local Ray)
CLUSTER = "# on a Ray cluster"


def test_readme_python_examples_run_as_written(tmp_path, monkeypatch):
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    on_a_cluster = [b for b in blocks if b.startswith(CLUSTER)]
    blocks = [b for b in blocks if not b.startswith(CLUSTER)]
    assert len(blocks) >= 2 and len(on_a_cluster) == 2
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    for block in blocks:
        exec(compile(block, str(README), "exec"), scope)
    model, store = scope["model"], scope["store"]
    assert sorted(store.classes) == ["one", "seven"]
    lab = store.codes() >= 0
    assert (model.transduction_[lab] == store.codes()[lab]).mean() > 0.9
    assert (tmp_path / "my.embedviz.db").exists() and (tmp_path / "digits.embedviz.db").exists()
    # the export section: the files hold what the Explorer holds, row for row
    import pandas as pd

    ex = scope["ex"]
    labels = pd.read_parquet(tmp_path / "labels.parquet")
    assert labels.label.value_counts().to_dict() == {"zero": 30, "one": 30}
    assert (labels.label.astype(object) == ex.labels.astype(object)).sum() == 60
    assert len(pd.read_csv(tmp_path / "labels.csv")) == len(ex.labels)
    predictions = pd.read_parquet(tmp_path / "predictions.parquet")
    shown = ex.predictions
    assert list(predictions.columns) == list(shown.columns)
    assert predictions.label.isna().equals(shown.label.isna())  # missing where no label fits
    assert (predictions.label.dropna() == shown.label.dropna()).all()
    pd.testing.assert_frame_equal(predictions.drop(columns="label"), shown.drop(columns="label"),
                                  check_dtype=False)
    assert list(pd.read_csv(tmp_path / "predictions.csv", index_col=0).columns) == list(
        ex.predictions.columns)
