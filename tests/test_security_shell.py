"""No shell, no process and no code evaluation is ever fed text from sources or config.

A static check over the package's syntax trees (comments and strings cannot
fool it, aliases like `import subprocess as sp` are followed): any way to start
a process or evaluate code is listed, and the list must stay empty apart from
the allowance below, whose reasoning is in docs/reliability.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "vnreport"

# Modules whose import alone means "can run other programs".
PROCESS_MODULES = {"subprocess", "pty", "commands", "popen2", "multiprocessing.popen_fork"}
# Attribute calls that start a process or a shell, or evaluate code.
DANGEROUS_CALLS = {
    ("os", "system"), ("os", "popen"), ("os", "execv"), ("os", "execve"), ("os", "execvp"),
    ("os", "execl"), ("os", "execlp"), ("os", "spawnv"), ("os", "spawnl"), ("os", "posix_spawn"),
    ("os", "posix_spawnp"), ("os", "startfile"), ("asyncio", "create_subprocess_shell"),
    ("asyncio", "create_subprocess_exec"), ("yaml", "load"), ("yaml", "unsafe_load"),
    ("yaml", "full_load"), ("pickle", "load"), ("pickle", "loads"), ("marshal", "loads"),
}  # fmt: skip
DANGEROUS_BUILTINS = {"eval", "exec", "compile", "__import__"}
# webbrowser.open(uri) in `vnreport show --open` and `vnreport report/dq --open`: the argument
# is `Path(...).resolve().as_uri()` of a page under the warehouse folder (percent-encoded
# file:// URI, no text from a source), and the browser is started without a shell.
ALLOWED = {
    ("vnreport/flows/cmd_show.py", "import webbrowser"),
    ("vnreport/flows/cmd_dq.py", "import webbrowser"),
}


def findings() -> list[tuple[str, int, str]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = str(path.relative_to(PACKAGE.parent))
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=rel)
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    aliases[a.asname or a.name.split(".")[0]] = a.name
                    if a.name in PROCESS_MODULES or a.name == "webbrowser":
                        out.append((rel, node.lineno, f"import {a.name}"))
            elif isinstance(node, ast.ImportFrom):
                mod = node.module or ""
                for a in node.names:
                    aliases[a.asname or a.name] = f"{mod}.{a.name}"
                    if mod in PROCESS_MODULES or (mod.split(".")[0], a.name) in DANGEROUS_CALLS:
                        out.append((rel, node.lineno, f"from {mod} import {a.name}"))
            elif isinstance(node, ast.Call):
                f = node.func
                if isinstance(f, ast.Name) and f.id in DANGEROUS_BUILTINS:
                    out.append((rel, node.lineno, f"{f.id}()"))
                if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name):
                    base = aliases.get(f.value.id, f.value.id).split(".")[0]
                    if (base, f.attr) in DANGEROUS_CALLS:
                        out.append((rel, node.lineno, f"{base}.{f.attr}()"))
                for kw in node.keywords:
                    if kw.arg == "shell":
                        out.append((rel, node.lineno, "shell= keyword"))
    return out


def test_the_check_sees_what_it_looks_for(tmp_path, monkeypatch):
    """A planted file with each pattern is caught, so an empty result means something."""
    pkg = tmp_path / "vnreport"
    pkg.mkdir()
    (pkg / "bad.py").write_text(
        "import subprocess as sp\nimport os\nfrom os import system\nimport yaml\n"
        "# os.system('in a comment is fine')\ns = 'subprocess.run(x, shell=True)'\n"
        "sp.run(['ls'], shell=True)\nos.popen('x')\neval('1')\nyaml.load('a: 1')\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(f"{__name__}.PACKAGE", pkg)
    got = {what for _, _, what in findings()}
    assert got == {
        "import subprocess", "from os import system", "shell= keyword", "os.popen()",
        "eval()", "yaml.load()",
    }  # fmt: skip


def test_no_process_shell_or_eval_in_the_package():
    unexpected = [(f, n, w) for f, n, w in findings() if (f, w) not in ALLOWED]
    assert not unexpected, "\n".join(f"{f}:{n}: {w}" for f, n, w in unexpected)


def test_config_is_parsed_safely():
    """sources.yaml goes through yaml.safe_load: no tags that build Python objects."""
    text = (PACKAGE / "config.py").read_text(encoding="utf-8")
    assert "yaml.safe_load(" in text
