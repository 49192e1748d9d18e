"""Loading the text model leaves no library progress bar behind; embedviz's own bar shows
and closes."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# a fresh process: the model is loaded once per process, so a test run that loaded it
# before would show nothing either way
SCRIPT = textwrap.dedent("""
    import embedviz
    from transformers.utils import logging as hf_logging
    texts = [f"sentence {i} about maps" for i in range(130)]
    X = embedviz.embed(texts, device="cpu", progress=True, cache=False, batch_size=64)
    assert X.shape == (130, 384)
    # the user's own setting comes back after the load
    print("transformers bars on:", hf_logging.is_progress_bar_enabled())
""")


def _run() -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
           "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          env=env, timeout=600, check=False)


def test_loading_minilm_leaves_no_library_bar_and_ours_closes() -> None:
    run = _run()
    assert run.returncode == 0, run.stderr[-3000:]
    out = run.stdout + run.stderr
    assert "Loading weights" not in out, out[-2000:]
    assert "it/s]" not in out.replace("text/s]", ""), out[-2000:]  # no other library bar
    # our bar drew (desc "embed", counting texts) ...
    assert "embed:" in run.stderr and "/130" in run.stderr, run.stderr[-2000:]
    # ... and closed: with leave=False tqdm blanks its line, so the last line ends empty
    last_line = run.stderr.rsplit("\n", 1)[-1]
    assert last_line.rsplit("\r", 1)[-1].strip() == "", repr(last_line[-200:])
    assert "transformers bars on: True" in run.stdout
