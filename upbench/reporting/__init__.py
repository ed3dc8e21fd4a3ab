"""From results.json to what people read: verdicts, findings, the HTML report, the terminal
table, compare. Reads stored results only: never starts a process or generates load."""
