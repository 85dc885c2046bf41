"""Printing a KTAP report from a list of (name, ok, why) results, for the
check scripts of tools/ (check_tools.py, check_usb.py, fuzz.py)."""


def not_ok(number, name, why):
    """A failed case: its reason on diagnostic lines first, then the result
    with nothing after it. Text after "not ok N name #" is a directive to
    KTAP and TAP readers; a reason starting "SKIP" or "TODO" would turn the
    failure into a skip or a TODO there."""
    lines = [f"# {line}" for line in str(why).splitlines() if line.strip()]
    return "\n".join(lines + [f"not ok {number} {name}"])


def print_report(results):
    """Prints the report; returns the exit status (0: every case passed).
    A case whose ok is None was skipped, and why says why."""
    print("KTAP version 1")
    print(f"1..{len(results)}")
    for i, (name, ok, why) in enumerate(results, 1):
        if ok is None:
            print(f"ok {i} {name} # SKIP {why}")
        else:
            print(f"ok {i} {name}" if ok else not_ok(i, name, why))
    return 0 if all(ok is not False for _, ok, _ in results) else 1
