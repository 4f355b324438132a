"""backup domain: consistent backups taken while the registry serves, and restores that count, compare and verify
what they restored (`services`), with the `flask backup …` commands (`cli`). See docs/operations.md, "Backups"."""
