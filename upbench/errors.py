"""The one error a user causes: bad flags or arguments. The CLI prints it as one line, exit 2."""


class UsageError(Exception):
    pass
