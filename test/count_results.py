"""Sums the GoogleTest cases that meson ran, from each build's testlog.json,
and prints the closing line 'N passed, N failed'."""
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
        ok = re.search(r"\[  PASSED  \] (\d+) tests?", out)
        bad = re.search(r"\[  FAILED  \] (\d+) tests?, listed below", out)
        passed += int(ok.group(1)) if ok else 0
        failed += int(bad.group(1)) if bad else 0
        if entry.get("result") not in ("OK", "EXPECTEDFAIL", "SKIP") and not bad:
            failed += 1
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
