"""A matplotlib figure as the base64 PNG the self-contained report embeds."""

from __future__ import annotations

import base64
import io


def png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()
