"""Printing a KTAP report from a list of (name, ok, why) results, for the
check scripts of tools/ (check_tools.py, check_usb.py, fuzz.py)."""


def print_report(results):
    """Prints the report; returns the exit status (0: every case passed).
    A case whose ok is None was skipped, and why says why."""
    print("KTAP version 1")
    print(f"1..{len(results)}")
    for i, (name, ok, why) in enumerate(results, 1):
        if ok is None:
            print(f"ok {i} {name} # SKIP {why}")
        else:
            print(f"{'ok' if ok else 'not ok'} {i} {name}" + ("" if ok else f" # {why}"))
    return 0 if all(ok is not False for _, ok, _ in results) else 1
