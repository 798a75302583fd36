"""Cases: opening, working, the append-only timeline and attachments."""
