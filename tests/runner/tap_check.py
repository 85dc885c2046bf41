"""The runner's counts held against a reader nobody here wrote: Perl's
TAP::Parser (Debian's perl, perl-modules-*).

Every log the runner counts (a boot's serial output, a host test's report)
goes to TAP::Parser too, from the same "KTAP version 1" line the runner
starts at; the two must agree on how many cases passed, failed and were
skipped, on the plan and on how many results there were. TAP::Parser knows
nothing of KTAP's version line, which it ignores as an unknown line, and
reads the rest as TAP: a result's "# SKIP" and "# TODO" directives are its
business, so text after "not ok N name #" that it takes for one shows up
here as a disagreement."""
import functools
import subprocess

from common.ktap import ktap_counts

READER = r"""
use strict;
use warnings;
use TAP::Parser;
local $/;
my $tap = <STDIN>;
my $parser = TAP::Parser->new({ tap => $tap });
while (defined(my $result = $parser->next)) { }
my $planned = $parser->tests_planned;
printf "passed=%d failed=%d skipped=%d todo=%d planned=%d run=%d\n",
    scalar($parser->passed), scalar($parser->failed), scalar($parser->skipped),
    scalar($parser->todo), defined($planned) ? $planned : -1, $parser->tests_run;
"""


@functools.lru_cache(maxsize=1)
def reader_missing():
    """Why TAP::Parser cannot run here, or None."""
    try:
        p = subprocess.run(["perl", "-MTAP::Parser", "-e", "1"], capture_output=True, text=True)
    except FileNotFoundError:
        return "perl is not installed (Debian package perl)"
    if p.returncode != 0:
        return "Perl's TAP::Parser is not installed (Debian package perl)"
    return None


def ktap_document(text):
    """The KTAP report in text: from its last version line on (where
    parse_ktap starts too), carriage returns removed; "" if there is none."""
    lines = [line.rstrip("\r") for line in text.splitlines()]
    starts = [i for i, line in enumerate(lines) if line.startswith("KTAP version 1")]
    return "\n".join(lines[starts[-1]:]) + "\n" if starts else ""


def tap_parser_counts(document):
    """What TAP::Parser makes of a report: a dict of its counts."""
    p = subprocess.run(["perl", "-e", READER], input=document, capture_output=True, text=True,
                       timeout=60)
    if p.returncode != 0:
        raise RuntimeError(f"TAP::Parser failed: {p.stderr.strip()[:200]}")
    return {k: int(v) for k, v in (w.split("=") for w in p.stdout.split())}


def disagreement(text):
    """None if TAP::Parser reads text's KTAP report as the runner does (or
    there is no report to read); else a line saying where they differ."""
    document = ktap_document(text)
    if not document:
        return None
    missing = reader_missing()
    if missing:
        return f"cannot hold the counts against TAP::Parser: {missing}"
    ours, theirs = ktap_counts(document), tap_parser_counts(document)
    differ = [k for k in ours if ours[k] != theirs.get(k)]
    if not differ:
        return None
    return "TAP::Parser reads this report otherwise: " + ", ".join(
        f"{k} {theirs.get(k)} (the runner: {ours[k]})" for k in differ)
