"""The files of a source tree, for the tools that copy or read the whole
tree (tools/lab.py, tools/mutants.py, tools/check_docs.py)."""
import os
import subprocess


def tree_files(root):
    """Paths relative to root: git's tracked and untracked-but-not-ignored
    files where root is a git tree, else every file outside the build
    directories, .git and toolchain/."""
    try:
        out = subprocess.run(["git", "ls-files", "-z", "-co", "--exclude-standard"], cwd=root,
                             capture_output=True, check=True).stdout.decode()
        files = [f for f in out.split("\0") if f and os.path.isfile(os.path.join(root, f))]
        if files:
            return files
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for d, dirs, names in os.walk(root):
        rel = os.path.relpath(d, root)
        dirs[:] = [x for x in dirs if not (rel == "." and (x.startswith("build") or
                                                           x in (".git", "toolchain")))]
        files += [os.path.normpath(os.path.join(rel, n)) for n in names]
    return files
