"""Safety guard: block unsafe workarounds (rules as data, free-text reply scanner)."""
