"""What the differential run covered, filled by the test module and printed
by conftest.py's terminal summary."""

STATE = {"checked": False, "covered": [], "missing": {}, "runs": []}
