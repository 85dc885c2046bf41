#!/usr/bin/env python3
"""The docs cannot go stale: every file, function, option, make target,
self-test and link that README.md, tools/README.md and docs/ name must exist.

What is checked, in each Markdown file (code blocks included, except the
annotated logs and sessions marked ```text):
  - paths under the tree's top folders (`kernel/smp/ipi.c`, tools/gdb/, globs
    like tests/fuzz/fuzz_*.c): the file or folder exists (build/ is made
    by the build, and is not checked);
  - `name()` in code spans: a function, macro or label of that name is
    called or defined somewhere in the source (C, assembly, Python, Promela);
  - `make target`: a target of the Makefile; `VAR=value` after make: a
    variable the Makefile or its tools read;
  - kernel options: in a code span, `word=value` (or `word`) where word is
    lower case is an option of kernel/boot/options.c, unless the span is a
    QEMU or GRUB argument (listed below);
  - self-test names `suite.name`: declared by KTEST() or a host test;
  - relative links [text](path#anchor): the file exists, and the anchor is
    one of its headings;
  - annotated boot logs: every `boot: step: <what>` line (chapter 1 has one)
    is a step that kmain announces (kernel/main.c), word for word.
Besides, one case for the book's chapter table (docs/book/README.md): each
chapter names the folders its code lives in, each file it names lies directly
in one of them, and every folder of kernel/ is some chapter's; and one case
for kernel/boot/options.c's table, which the README copies:
every option's "used by" file (with its header; or a file of the folder
named) reads the option's field or names the option (`name=`, "name",
"option name").

Prints KTAP: one case per Markdown file, the chapter table's and the options
table's.
"""
import glob
import os
import re
import sys

from common import ROOT, ktap_out
from common.tree_files import tree_files

TOP = ("boot", "arch", "platform", "kernel", "lib", "tests", "tools", "docs", ".ci")
SOURCE_EXT = (".c", ".h", ".asm", ".inc", ".py", ".pml", ".sh", ".gdb", ".ld")
# Words of the form name=value that belong to QEMU, GRUB, gdb or the shell,
# not to the kernel.
EXTERNAL_SETTINGS = {
    "gfxpayload", "pit", "hpet", "iobase", "iosize", "kernel-irqchip", "x2apic", "sockets",
    "cores", "threads", "maxcpus", "id", "drive", "if", "format", "file", "media", "bus",
    "removable", "server", "wait", "bs", "of", "status", "conv", "timeout", "timeout_style",
    "default", "path", "accel", "smp", "mem", "memory", "unit", "readonly", "index",
    "PATH", "CI", "DEBIAN_FRONTEND",
    "reboot",   # Linux's, for comparison
    "name",     # the form itself: `name=value`
}
SUITES_RE = r"(?:acpi|apic|backtrace|boot|exceptions|ipi|irql|ktest|lib|litmus|paging|smp|" \
            r"timing|trace|barrier|rendezvous|ap_start|format|string|madt|multiboot|cmdline|" \
            r"options|platform|gdb|lab|portable|x2apic|tlb)"


class Facts:
    def __init__(self):
        self.files = set(tree_files(ROOT))
        self.dirs = {os.path.dirname(f) for f in self.files}
        for d in list(self.dirs):
            while d:
                self.dirs.add(d)
                d = os.path.dirname(d)
        self.source = ""
        for f in self.files:
            if f.endswith(SOURCE_EXT) or f in ("Makefile",):
                try:
                    with open(os.path.join(ROOT, f), errors="replace") as fh:
                        self.source += fh.read() + "\n"
                except OSError:
                    pass
        with open(os.path.join(ROOT, "kernel", "boot", "options.c")) as f:
            self.options = set(re.findall(r"^\s*(?:TEXT|FLAG|CHOICE|ENUM|NUMBER_OR_AUTO|NUMBER)\((\w+),",
                                          f.read(), re.M))
        with open(os.path.join(ROOT, "Makefile")) as f:
            makefile = f.read()
        self.targets = set(re.findall(r"^([\w.-]+(?:\s+[\w.-]+)*)\s*:(?!=)", makefile, re.M))
        self.targets = {t for group in self.targets for t in group.split()}
        self.make_vars = set(re.findall(r"\$\((\w+)\)", makefile)) | \
            set(re.findall(r"^(\w+)\s*[?:+]?=", makefile, re.M)) | \
            set(re.findall(r"bench_knob,(\w+)", makefile)) | {"V", "CC", "CI"}
        with open(os.path.join(ROOT, "kernel", "main.c")) as f:
            self.boot_steps = re.findall(r'\bstep\("([^"]*)"\)', f.read())
        self.tests = set()
        self.test_patterns = []
        for f in self.files:
            if f.startswith("tests/") and f.endswith(".c"):
                with open(os.path.join(ROOT, f), errors="replace") as fh:
                    text = fh.read()
                self.tests |= {f"{a}.{b}" for a, b in re.findall(r"KTEST\((\w+),\s*(\w+)\)", text)}
                self.tests |= set(re.findall(r"\"(" + SUITES_RE + r"\.\w+)\"", text))
                # Names made with a format ("barrier.%s_3_threads"): as patterns.
                for fmt in re.findall(r"\"(" + SUITES_RE + r"\.[\w%]*%[\w%]*)\"", text):
                    self.test_patterns.append(re.compile(
                        re.sub(r"%(?:z|l|ll)?[sdu]", r"\\w+", fmt) + "$"))
                # Host tests name their cases "suite." + a name built in a macro.
                self.tests |= {f"{a}.{b}" for a, b in
                               re.findall(r"HTEST\((\w+),\s*(\w+)\)", text)}
        for f in self.files:
            if f.startswith("tools/") and f.endswith(".py"):
                with open(os.path.join(ROOT, f), errors="replace") as fh:
                    text = fh.read()
                self.tests |= set(re.findall(r"\"(" + SUITES_RE + r"\.[\w.]+)", text))

    def path_exists(self, path):
        path = path.rstrip("/.,:;)")
        if any(c in path for c in "<>{}$"):
            return True
        if "*" in path or "?" in path or "[" in path:
            return bool(glob.glob(os.path.join(ROOT, path)))
        return path in self.files or path in self.dirs or os.path.exists(os.path.join(ROOT, path))

    def function_exists(self, name):
        return re.search(r"(?<![\w.])" + re.escape(name) + r"\s*\(", self.source) is not None or \
            re.search(r"^" + re.escape(name) + r":", self.source, re.M) is not None


def headings(path):
    """GitHub's anchors of a Markdown file's headings."""
    anchors = set()
    with open(path) as f:
        in_code = False
        for line in f:
            if line.startswith("```"):
                in_code = not in_code
            if in_code or not line.startswith("#"):
                continue
            text = line.lstrip("#").strip().lower()
            text = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
            anchors.add(text)
    return anchors


PATH_RE = re.compile(r"(?<![\w/.-])((?:" + "|".join(re.escape(t) for t in TOP) +
                     r")/[\w./*?-]*)")
LINK_RE = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
CODE_SPAN_RE = re.compile(r"`([^`\n]+)`")
FUNC_RE = re.compile(r"^([A-Za-z_]\w*)\(\)$")
TEST_RE = re.compile(r"(?<![\w/.-])(" + SUITES_RE + r"\.[a-z0-9_]+\*?)(?![\w/])")


def check_file(rel, facts):
    problems = []
    path = os.path.join(ROOT, rel)
    with open(path) as f:
        text = f.read()
    # Annotated logs (```text) are output, not claims about the tree.
    checked = re.sub(r"^```text\n.*?^```\n", "", text, flags=re.M | re.S)
    for m in PATH_RE.finditer(checked):
        p = m.group(1)
        if not facts.path_exists(p):
            problems.append(f"no file {p}")
    for m in LINK_RE.finditer(checked):
        target = m.group(1)
        if re.match(r"^[a-z]+:", target):
            continue  # an address on the web
        file_part, _, anchor = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) if file_part \
            else path
        if not os.path.exists(dest):
            problems.append(f"broken link {target}")
        elif anchor and dest.endswith(".md") and anchor not in headings(dest):
            problems.append(f"no heading #{anchor} in {os.path.relpath(dest, ROOT)}")
    for m in CODE_SPAN_RE.finditer(checked):
        span = m.group(1).strip()
        f = FUNC_RE.match(span)
        if f and not facts.function_exists(f.group(1)):
            problems.append(f"no function {span}")
        words = span.split()
        if words[:1] == ["make"]:
            for w in words[1:]:
                if "=" in w:
                    var = w.split("=", 1)[0]
                    if var not in facts.make_vars:
                        problems.append(f"make knows no {var}= (in `{span}`)")
                elif re.match(r"^[a-z][\w-]*$", w) and w not in facts.targets:
                    problems.append(f"no make target {w} (in `{span}`)")
            continue
        if words and re.match(r"^[a-z_]+:$", words[0]):
            continue  # an output line's form (`smp: online=...`), not options
        if words and (words[0].startswith(("qemu", "-", "git", "gdb", "apt", "brew", "sudo",
                                           "export", "cd", "set", "insmod", "linux", "wsl",
                                           "PATH=", "dd"))):
            continue
        for w in words:
            m2 = re.match(r"^([a-z][a-z0-9_]*)=\S*$", w)
            if m2 and m2.group(1) not in facts.options and m2.group(1) not in EXTERNAL_SETTINGS:
                problems.append(f"no kernel option {m2.group(1)}= (in `{span}`)")
    for m in re.finditer(r"^boot: step: (.*?)(?:\s{2,}|$)", text, re.M):
        shown = m.group(1).rstrip(". ").rstrip()
        if shown.endswith(","):
            shown = shown[:-1]
        if not any(step.startswith(shown) for step in facts.boot_steps):
            problems.append(f"kmain announces no step \"{shown}\"")
    # A test the page itself declares, as an example, counts.
    local_tests = {f"{a}.{b}" for a, b in re.findall(r"KTEST\((\w+),\s*(\w+)\)", checked)}
    for m in TEST_RE.finditer(checked):
        name = m.group(1)
        if name.endswith(("*", "_")):
            prefix = name.rstrip("*")
            ok = any(t.startswith(prefix) for t in facts.tests)
        else:
            ok = name in facts.tests or name in local_tests or any(p.match(name) for p in facts.test_patterns) or \
                name.endswith((".c", ".h", ".py", ".md", ".pml"))
        # Only names that look like test names (suite.words_with_underscores).
        if not ok and "_" in name.split(".", 1)[1]:
            problems.append(f"no self-test {name}")
    return problems


OPTION_ROW_RE = re.compile(
    r"^\s*(?:TEXT|FLAG|CHOICE|ENUM|NUMBER_OR_AUTO|NUMBER)\((\w+),.*?\"((?:kernel|arch|platform|lib|tests)/[^\"]*)\"",
    re.M | re.S)


def without_comments(code):
    return re.sub(r"//[^\n]*", " ", re.sub(r"/\*.*?\*/", " ", code, flags=re.S))


def check_options_used_by():
    """Problems with the options table's "used by" column: a file named that
    neither reads the option nor names it."""
    with open(os.path.join(ROOT, "kernel", "boot", "options.c")) as f:
        rows = OPTION_ROW_RE.findall(f.read())
    problems = []
    for name, used_by in rows:
        if used_by.endswith("/"):
            files = sorted(glob.glob(os.path.join(ROOT, used_by, "*.[ch]")))
        else:
            stem = os.path.join(ROOT, os.path.splitext(used_by)[0])
            files = [os.path.join(ROOT, used_by)] + [stem + ".h"]
        files = [f for f in files if os.path.isfile(f)]
        if not files:
            problems.append(f"{name}: no file {used_by}")
            continue
        text = "".join(open(f, errors="replace").read() for f in files)
        reads = re.search(r"(->|\.)%s\b" % name, without_comments(text))
        names = re.search(r"\b%s=|\"%s\"|\boption %s\b" % (name, name, name), text)
        if not (reads or names):
            problems.append(f"{name}: {used_by} neither reads nor names it")
    return problems


BOOK_README = "docs/book/README.md"


def check_book_folders(facts):
    """Problems with the book's chapter table: a chapter without folders, a
    folder that does not exist, a file outside its chapter's folders (files
    at the top, like the Makefile, excepted), or a folder of kernel/ that no
    chapter names, which a student could not find from the book."""
    with open(os.path.join(ROOT, BOOK_README)) as f:
        lines = [line for line in f if line.startswith("|")]
    header = [c.strip() for c in lines[0].strip().strip("|").split("|")]
    if "folders" not in header or "the code" not in header:
        return [f"{BOOK_README}: the chapter table has no folders or code column"]
    folders_at, code_at = header.index("folders"), header.index("the code")
    problems, named = [], set()
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        chapter = cells[0]
        folders = [f.rstrip("/") for f in re.findall(r"`([^`]+)`", cells[folders_at])]
        if not folders:
            problems.append(f"chapter {chapter}: no folder")
        for folder in folders:
            if folder not in facts.dirs:
                problems.append(f"chapter {chapter}: no folder {folder}/")
        named.update(folders)
        for path in re.findall(r"`([^`]+)`", cells[code_at]):
            where = os.path.dirname(path)
            if where and where not in folders:
                problems.append(f"chapter {chapter}: {path} is not in its folders")
    for folder in sorted(d for d in facts.dirs if d == "kernel" or d.startswith("kernel/")):
        if folder not in named:
            problems.append(f"{folder}/ is no chapter's folder")
    return problems


def main():
    facts = Facts()
    docs = ["README.md", "tools/README.md"] + sorted(f for f in facts.files
                                                     if f.startswith("docs/") and f.endswith(".md"))
    results = []
    for rel in docs:
        problems = check_file(rel, facts)
        results.append((f"docs.{rel}", not problems, "; ".join(sorted(set(problems)))))
    problems = check_book_folders(facts)
    results.append(("docs.book_chapters_name_the_folders_of_their_code", not problems,
                    "; ".join(problems)))
    problems = check_options_used_by()
    results.append(("docs.options_used_by_names_a_file_that_reads_the_option", not problems,
                     "; ".join(problems)))
    return ktap_out.print_report(results)


if __name__ == "__main__":
    sys.exit(main())
