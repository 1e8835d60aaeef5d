"""Sums the test cases that meson ran, from each build's testlog.json (the
GoogleTest cases of each binary, and the cases of test/interop/run.py, which
ends with its own 'N passed, N failed' line), and prints the closing line
'N passed, N failed'."""
import json
import re
import sys
from pathlib import Path

passed = failed = 0
for build in sys.argv[1:]:
    log = Path(build) / "meson-logs" / "testlog.json"
    if not log.exists():
        continue
    for line in log.read_text().splitlines():
        entry = json.loads(line)
        out = entry.get("stdout", "")
        ok = re.search(r"\[  PASSED  \] (\d+) tests?", out) or re.search(r"^(\d+) passed, \d+ failed", out, re.M)
        bad = (re.search(r"\[  FAILED  \] (\d+) tests?, listed below", out)
               or re.search(r"^\d+ passed, ([1-9]\d*) failed", out, re.M))
        passed += int(ok.group(1)) if ok else 0
        failed += int(bad.group(1)) if bad else 0
        if entry.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and not bad:
            failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
