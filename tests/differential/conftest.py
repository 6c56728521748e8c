"""Prints, at the end of the run, which command families the differential
test covered and which it could not (NOT COVERED: sealkv lacks a command of
the family), so nothing is skipped silently."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import coverage_state  # noqa: E402


def pytest_terminal_summary(terminalreporter):
    st = coverage_state.STATE
    if not st.get("checked"):
        return
    tr = terminalreporter
    tr.section("differential coverage")
    tr.write_line("covered families: %s" % ", ".join(st["covered"]))
    for fam, missing in st["missing"].items():
        tr.write_line("NOT COVERED: %s (sealkv lacks %s)" % (fam, " ".join(missing)))
    for line in st["runs"]:
        tr.write_line(line)
