"""What the scripts of tools/ share, and what tests/run.py borrows from them.

    ROOT         the project root, computed here and nowhere else
    qmp          a minimal QMP client (asking QEMU which CPUs it made)
    ktap         reading KTAP (the kernel's, the host tests', the checks')
    ktap_out     writing it (the check scripts' reports)
    tree_files   the files of a source tree (git's list, or a walk)
    constants    facts the kernel defines, read from build/gen/constants.json
    config       one configuration to boot (machine, loader, CPUs, command line)
    qemu         booting a configuration and waiting for the kernel to end it
    plot         drawing a chart with matplotlib (make bench, make trace)

Imports go one way: tests/ (tests/runner/) imports this package; nothing in
tools/ imports tests/. The scripts stay at tools/NAME.py, where the Makefile,
the docs, the lab trees and tests/run.py call them by path: Python puts a
script's own folder first on sys.path, so "from common import ..." needs no
path set-up in them. Standard library only, but for plot.
"""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
