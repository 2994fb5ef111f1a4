"""Writes rinit(1), the man page, in roff on standard output.

    python3 dist/man.py BINARY VERSION

Its synopsis, options, environment and the paragraphs after them are
what `BINARY --help` prints, turned into roff here: the man page and
--help come from one text (src/options.rs) and cannot drift apart. The
sections --help has no room for (the personalities, every exit status,
the shutdown timeline, signal numbering) are read from docs/, the same
text the documentation shows, each under a heading named below.
"""

import os
import re
import subprocess
import sys
import time

binary, version = sys.argv[1:3]
help_text = subprocess.run([binary, "--help"], check=True, capture_output=True, text=True).stdout
epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0"))
date = time.strftime("%Y-%m-%d", time.gmtime(epoch))


def roff(text):
    """Escapes text for roff: backslashes, hyphens in words, leading dots."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    text = text.replace("'", "\\(aq").replace("`", "\\(ga")
    return "\\&" + text if text[:1] in (".", "'") else text


def sections(text):
    """Splits --help into its blocks: runs of lines between blank lines."""
    return [block.splitlines() for block in text.strip("\n").split("\n\n")]


def items(lines):
    """`  TERM  description` lines, with their continuations, as (term, text).
    A term starts within the first few columns, a continuation far right."""
    out = []
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if indent < 10:
            term, _, text = line.strip().partition("  ")
            if out and not out[-1][1]:
                # A term that runs over a line (a list of names): joined.
                out[-1] = (out[-1][0] + " " + term, text.strip())
            else:
                out.append((term, text.strip()))
        else:
            term, text = out[-1]
            out[-1] = (term, (text + " " + line.strip()).strip())
    return out


blocks = sections(help_text)
head, usage = blocks[0], blocks[1]
name, _, summary = head[0].partition(": ")
page = [
    f'.TH RINIT 1 "{date}" "rinit {roff(version)}" "User Commands"',
    ".SH NAME",
    f"rinit \\- {roff(summary.rstrip('.'))}",
    ".SH SYNOPSIS",
]
for line in usage:
    words = line.replace("Usage:", "").split()
    page += [".B rinit", ".RI \"" + " ".join(roff(w) for w in words[1:]) + '"', ".br"]
page += [".SH DESCRIPTION", roff(" ".join(line.strip() for line in head[1:]))]
for block in blocks[2:]:
    title = block[0]
    if title.startswith("Options"):
        page.append(".SH OPTIONS")
        page.append(roff(title.partition(" (")[2].rstrip("):").capitalize() + "."))
    elif title.startswith("Environment"):
        page.append(".SH ENVIRONMENT")
        page.append(roff(title.partition(" (")[2].rstrip("):").capitalize() + "."))
    else:
        if not page[-1].startswith(".SH") and ".SH NOTES" not in page:
            page.append(".SH NOTES")
        else:
            page.append(".PP")
        page.append(roff(" ".join(line.strip() for line in block)))
        continue
    for term, text in items(block[1:]):
        page += [".TP", ".B " + roff(term), roff(text)]

docs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs")


def doc_section(page_name, heading):
    """The lines of the section `## heading` of docs/page_name."""
    with open(os.path.join(docs, page_name), encoding="utf-8") as f:
        lines = f.read().splitlines()
    start = lines.index("## " + heading) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("#")), len(lines))
    return lines[start:end]


def plain(text):
    """Markdown inline marks out: `code`, **bold**, [text](link)."""
    text = re.sub(r"\[([^]]*)\]\([^)]*\)", r"\1", text)
    return text.replace("**", "").replace("`", "")


def to_roff(lines):
    """A docs section as roff: paragraphs, `- **term**: text` items,
    `1. text` steps, and a table's rows as items (its header left out)."""
    out, para, table = [], [], 0
    def flush():
        if para:
            out.extend([".PP" if out else "", roff(plain(" ".join(para)))])
            para.clear()
    for line in lines:
        line = line.strip()
        bullet = re.match(r"^- \*\*([^*]+)\*\*: (.*)", line)
        step = re.match(r"^(\d+)\. (.*)", line)
        if not line or line.startswith("<!--"):
            flush()
        elif bullet:
            flush()
            out += [".TP", ".B " + roff(bullet.group(1)), roff(plain(bullet.group(2)))]
        elif step:
            flush()
            out += [f".IP {step.group(1)}. 4", roff(plain(step.group(2)))]
        elif line.startswith("|"):
            flush()
            table += 1
            cells = [c.strip() for c in line.strip("|").split("|")]
            if table > 2 and len(cells) >= 2:
                out += [".TP", ".B " + roff(plain(cells[0])), roff(plain(cells[1]))]
        else:
            table = 0
            para.append(line)
    flush()
    return [line for line in out if line]


for title, page_name, heading in [
    ("PERSONALITIES", "drop-in.md", "Personalities in brief"),
    ("EXIT STATUS", "usage.md", "Exit status"),
    ("SHUTDOWN", "shutdown.md", "The timeline in brief"),
    ("SIGNALS", "behaviour.md", "Signals in brief"),
]:
    page += [".SH " + title] + to_roff(doc_section(page_name, heading))

page += """.SH SEE ALSO
.BR tini (1),
.BR dumb\\-init (1),
.BR catatonit (1),
.BR kill (1),
.BR signal (7),
.BR pid_namespaces (7)
""".splitlines()
print("\n".join(page))
