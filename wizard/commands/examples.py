"""Two or three examples for every command's `--help`, and for `launcher --help` itself.

Keyed by the words after `launcher` ("" for launcher alone). cli.py hangs them on
each parser it builds; tests/unit/test_help_examples.py checks every command has
some and that each parses; the docs' command reference prints them too. Each is a
command line and what it does; the help shows the second as a shell comment above the first.
"""

from __future__ import annotations

EXAMPLES: dict[str, tuple[tuple[str, str], ...]] = {
    "": (
        ("launcher init", "answer a few questions; secrets and env files are written"),
        ("launcher up", "start every group in order, healthy, seeds applied"),
        ("launcher dashboard", "watch it: health, URLs, logs, restart, shell"),
    ),
    "init": (
        ("launcher init", "the wizard (prompts with --plain)"),
        ("launcher init --non-interactive --set KONG_HTTP_PORT=8100", "defaults, one port changed"),
        ("launcher init --dry-run", "which files would change; writes nothing"),
    ),
    "secrets": (
        ("launcher secrets show", "every secret, values masked"),
        ("launcher secrets check", "signatures, lengths, no public demo values"),
        ("launcher secrets rotate JWT_SECRET", "a new value; the JWTs it signs re-signed"),
    ),
    "secrets show": (
        ("launcher secrets show", "names and kinds, values masked"),
        ("launcher secrets show --reveal", "the values themselves"),
    ),
    "secrets check": (
        ("launcher secrets check", "JWT signatures and roles, lengths, alphabets, no demo values"),
        ("launcher secrets check --json", "the same, as JSON"),
    ),
    "secrets rotate": (
        ("launcher secrets rotate JWT_SECRET", "new value, JWTs re-signed, env files rewritten"),
        ("launcher secrets rotate POSTGRES_PASSWORD --apply", "also in the running database; services recreated"),
    ),
    "up": (
        ("launcher up", "every group, wave by wave, until healthy"),
        ("launcher up --only app --profile tools", "app and what it comes after, with the tools profile"),
        ("launcher up --dry-run", "what would change for each service, and why"),
    ),
    "down": (
        ("launcher down", "stop and remove the containers; volumes kept"),
        ("launcher down --volumes", "also delete the volumes: all data (asks first)"),
        ("launcher down --all", "every instance on this machine"),
    ),
    "restart": (
        ("launcher restart app", "a group's services, then wait until healthy"),
        ("launcher restart auth rest --timeout 120", "two services, two minutes each"),
    ),
    "images": (
        ("launcher images", "every image the stack needs: here or not, size, digest"),
        ("launcher images pull --profile unstructured", "fetch what is missing, a profile's images too"),
        ("launcher images save images.tar", "one archive for a machine without a registry"),
    ),
    "images pull": (
        ("launcher images pull", "pull every missing image, with progress"),
        ("launcher images pull --profile unstructured", "including the unstructured profile's"),
    ),
    "images save": (
        ("launcher images save images.tar", "every image into one archive"),
        ("launcher images save images.tar --profile tools --yes", "a profile's too; replace the file"),
    ),
    "images load": (
        ("launcher images load images.tar", "verify the archive, then load its images"),
        ("launcher images load /media/usb/images.tar --profile tools", "with the tools profile's images"),
    ),
    "status": (
        ("launcher status", "state, health, URLs and uptime of every service"),
        ("launcher status --watch --interval 5", "refresh every 5 seconds until Ctrl-C"),
        ("launcher status --json", "one JSON document, for scripts"),
    ),
    "ls": (
        ("launcher ls", "every instance on this machine: folder, state, ports, disk"),
        ("launcher ls --json", "the same, as JSON"),
    ),
    "gc": (
        ("launcher gc", "what instances whose folder is gone left behind (asks first)"),
        ("launcher gc --volumes --yes", "their volumes too, without asking"),
    ),
    "dashboard": (
        ("launcher dashboard", "the live table; l logs, r restart, s shell, q quit"),
        ("launcher dashboard --profile tools", "with the tools profile's services"),
    ),
    "check": (
        ("launcher check", "sign up a throwaway user through Kong, read a row as them, delete them"),
        ("launcher check --table accounts", "the row they must see is in the table accounts"),
    ),
    "logs": (
        ("launcher logs stackend", "a service's log so far"),
        ("launcher logs worker -f --tail 100", "the last 100 lines, then follow"),
    ),
    "shell": (
        ("launcher shell stackend", "a shell in the running service (bash, else sh)"),
        ("launcher shell db", "into the Postgres container"),
    ),
    "seed": (
        ("launcher seed status", "which seed files are applied, pending or changed"),
        ("launcher seed postgres", "apply the pending SQL seeds in order"),
        ("launcher seed mongo", "load seeds/mongo into the stack's MongoDB"),
    ),
    "seed postgres": (
        ("launcher seed postgres --dry-run", "what would run; change nothing"),
        ("launcher seed postgres", "apply the pending files in order"),
        ("launcher seed postgres --reapply seeds/postgres/10_functions", "run a folder again"),
    ),
    "seed status": (
        ("launcher seed status", "applied, pending and changed files"),
        ("launcher seed status --json", "the same, as JSON"),
    ),
    "seed capture": (
        ("launcher seed capture --from -", "read the URL from stdin; write the step's seeds folder"),
        ("launcher seed capture --from - --schema public --schema storage --out seeds/captured",
         "two schemas, into another folder"),
    ),
    "seed mongo": (
        ("launcher seed mongo", "upsert seeds/mongo by _id"),
        ("launcher seed mongo --replace", "drop each seeded collection first (asks)"),
        ("launcher seed mongo --from-uri - --db app", "copy database app from the server read on stdin"),
    ),
    "snapshot": (
        ("launcher snapshot save before-upgrade", "every database and volume"),
        ("launcher snapshot list", "name, when, size, parts, encrypted"),
        ("launcher snapshot restore before-upgrade", "put it all back, start healthy"),
    ),
    "snapshot save": (
        ("launcher snapshot save", "named by the time, e.g. 20260130-094500"),
        ("launcher snapshot save before-upgrade --keep 5", "then keep the 5 newest"),
        ("launcher snapshot save --encrypt --to /backups/ailab", "encrypted, somewhere else"),
    ),
    "snapshot list": (
        ("launcher snapshot list", "name, when, size, parts, encrypted"),
        ("launcher snapshot list --json", "the same, as JSON"),
    ),
    "snapshot rm": (
        ("launcher snapshot rm before-upgrade", "delete it (asks first)"),
        ("launcher snapshot rm 20260130-094500 --yes", "without asking"),
    ),
    "snapshot restore": (
        ("launcher snapshot restore before-upgrade", "verify, replace the data (asks first), start healthy"),
        ("launcher snapshot restore /backups/ailab --with-secrets", "on a new machine: secrets and settings too"),
        ("launcher snapshot restore --abandon", "undo a restore that stopped half way"),
    ),
    "reset": (
        ("launcher reset", "every group with a seed step: data deleted, seeded anew (asks first)"),
        ("launcher reset mongodb --yes", "just MongoDB, without asking"),
    ),
    "upgrade": (
        ("launcher upgrade --plan", "which images change, which Postgres major moves"),
        ("launcher upgrade", "do it (asks first), keeping the old volumes"),
        ("launcher upgrade --finish", "remove the old volumes once all is well"),
    ),
    "doctor": (
        ("launcher doctor", "Docker, Compose, memory, disk and the stack's ports"),
        ("launcher doctor --json", "the same, as JSON"),
    ),
    "plan": (
        ("launcher plan", "the waves groups start in, and the init steps"),
        ("launcher plan --only app --profile tools", "just app and what it comes after"),
        ("launcher plan --format mermaid", "the graph, for a mermaid block on GitHub or in the docs"),
    ),
    "export": (
        ("launcher export swarm deploy/swarm", "one stack file per group"),
        ("launcher export kubernetes deploy/k8s --profile tools", "manifests and a kustomization.yaml"),
    ),
    "completion": (
        ("launcher completion bash", 'in ~/.bashrc: eval "$(launcher completion bash)"'),
        ("launcher completion zsh", 'in ~/.zshrc, after compinit: eval "$(launcher completion zsh)"'),
        ("launcher completion fish", "into ~/.config/fish/completions/launcher.fish"),
    ),
}


def examples_text(command: str) -> str:
    """The examples of ``command`` as the end of its help: a heading, then each as a comment and its line."""
    examples = EXAMPLES.get(command, ())
    if not examples:
        return ""
    return "examples:\n" + "".join(f"  # {why}\n  {line}\n" for line, why in examples)
