#!/usr/bin/python3
"""The documentation points only inside the repository: every relative
Markdown link resolves to a file or directory of the checkout, and no path
in it climbs out of the checkout (users never see what lies beside it).

Usage: links_inside.py SOURCE_ROOT
"""
import os
import re
import sys

LINK = re.compile(r"\]\(([^)\s#]+)(?:#[^)]*)?\)")
CLIMBING_PATH = re.compile(r"(?:\.\./)+[\w.-]+(?:/[\w.-]+)*")


def markdown_files(root):
    for top in ("README.md",):
        yield os.path.join(root, top)
    for sub in ("docs", "app", "bench", "examples", "config", "test"):
        for dirpath, _, names in os.walk(os.path.join(root, sub)):
            for name in names:
                if name.endswith(".md"):
                    yield os.path.join(dirpath, name)


def problems(root, path):
    here = os.path.dirname(path)
    text = open(path, encoding="utf-8").read()
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target):
            continue  # http:, https:, mailto:
        resolved = os.path.realpath(os.path.join(here, target))
        if not resolved.startswith(root + os.sep) or not os.path.exists(resolved):
            yield f"link to {target}"
    for climb in CLIMBING_PATH.findall(text):
        resolved = os.path.realpath(os.path.join(here, climb))
        if not resolved.startswith(root + os.sep) or not os.path.exists(resolved):
            yield f"path {climb} is not in the repository"


def main():
    root = os.path.realpath(sys.argv[1])
    bad = [f"{os.path.relpath(p, root)}: {what}" for p in markdown_files(root) for what in problems(root, p)]
    for line in bad:
        print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
