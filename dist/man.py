"""Writes rinit(1), the man page, in roff on standard output.

    python3 dist/man.py BINARY VERSION

Its synopsis, options, environment and the paragraphs after them are
what `BINARY --help` prints, turned into roff here: the man page and
--help come from one text (src/options.rs) and cannot drift apart. The
sections --help has no room for (the personalities, every exit status,
the shutdown timeline, signal numbering) are written below.
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

page += """.SH PERSONALITIES
Invoked under another init's name, rinit takes that init's defaults,
exit statuses and log prefix; options and environment variables of all of
them are accepted under every name.
.TP
.B rinit
signals go to the command's process group; when the command exits away
from PID 1, what it left gets SIGTERM, \\-\\-grace, then SIGKILL; usage
error 2; 127 when the command is not found, 126 when it cannot run.
.TP
.BR tini ", " tini\\-static ", " docker\\-init
signals go to the command alone unless \\-g or TINI_KILL_PROCESS_GROUP;
exits at once when the command exits away from PID 1; usage error 1;
127 not found, 126 permission denied, 1 otherwise.
.TP
.B dumb\\-init
signals go to the command's group, which is a session of its own that
takes the terminal (\\-c or DUMB_INIT_SETSID=0: the command alone, in
dumb\\-init's group); usage error 1; exec failure 2.
.TP
.BR catatonit ", " podman\\-init
signals go to the command alone unless \\-g; exits at once when the
command exits away from PID 1; usage error 1; 127 not found, 126
otherwise.
.PP
As PID 1 every name waits for what the command left behind (the drain
below): the kernel kills it all when PID 1 exits, so waiting loses
nothing.
.SH EXIT STATUS
.TP
.I N
the command exited with status N (0 instead, for an N given to \\-e)
.TP
.I 128+N
signal N killed the command, any N from 1 to 64: 143 for SIGTERM, 137 for
SIGKILL, 160 to 192 for the real\\-time signals
.TP
.B 126
the command cannot be run (rinit's personality)
.TP
.B 127
the command was not found (rinit's personality)
.TP
.B 2
usage error (rinit's personality)
.TP
.B 0
with \\-P, on a stop signal
.SH SHUTDOWN
From the engine's stop signal to rinit's exit:
.IP 1. 4
A stop signal (\\-\\-stop\\-signals, TERM and INT by default) arrives;
\\-\\-stop\\-delay D holds it for D.
.IP 2. 4
rinit relays it, rewritten as \\-r says, to the command's process group
(with \\-a, to every process rinit looks after).
.IP 3. 4
5 s later, if the command still runs, a warning names every process still
running, again every 10 s; \\-\\-kill\\-after K SIGKILLs the command's
group K after the stop signal.
.IP 4. 4
The command exits and is reaped. Everything left gets one SIGTERM (as PID 1
every process of the namespace, as subreaper every descendant) and SIGCONT
if stopped; rinit waits for them for at most \\-\\-grace G (5 s).
.IP 5. 4
What still runs gets SIGKILL, named in a warning; rinit exits with the
command's status.
.PP
Everything must fit in the engine's own deadline (docker stop: 10 s,
Kubernetes: 30 s): stop delay + the app's shutdown + grace.
.SH SIGNALS
rinit blocks every signal and reads them from a signalfd, so none is lost
while it is PID 1. It relays every one but SIGKILL and SIGSTOP (which
cannot be caught) and SIGCHLD (its own: it reaps); a real\-time signal
queued N times is relayed N times. Signals are numbered as the kernel
numbers them, in every build: 1\-31, then 32 and 33 (SIG32, SIG33), then
RTMIN (34) to RTMAX (64), as kill \-l and Docker count.
.SH SEE ALSO
.BR tini (1),
.BR dumb\\-init (1),
.BR catatonit (1),
.BR kill (1),
.BR signal (7),
.BR pid_namespaces (7)
""".splitlines()
print("\n".join(page))
