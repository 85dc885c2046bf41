"""Printing a KTAP report from a list of (name, ok, why) results, for the
check scripts of tools/ (check_tools.py, check_usb.py, fuzz.py)."""


def print_report(results):
    """Prints the report; returns the exit status (0: every case passed)."""
    print("KTAP version 1")
    print(f"1..{len(results)}")
    for i, (name, ok, why) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} {name}" + ("" if ok else f" # {why}"))
    return 0 if all(ok for _, ok, _ in results) else 1
