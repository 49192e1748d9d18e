"""The embedded demo data: real docstrings, gathered without noise in the notebook."""
from __future__ import annotations

import subprocess
import sys


def test_gathering_docstrings_prints_no_warnings_from_the_modules_it_imports():
    # a fresh interpreter: sklearn warns once, on the first import of the module
    code = ("import warnings\n"
            "from embedviz.demo_data import docstrings_frame\n"
            "with warnings.catch_warnings(record=True) as seen:\n"
            "    warnings.simplefilter('always')\n"
            "    df = docstrings_frame(('sklearn',), per_package=50)\n"
            "assert len(df) == 50 and set(df.package) == {'sklearn'}, df.shape\n"
            "assert not seen, [str(w.message)[:80] for w in seen]\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
