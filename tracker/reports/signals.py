"""What the sign-off announces to the features around it (notifications, for one).

Receivers run inside the service's transaction: they may add rows and flush, never commit.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent when a report comes to a manager's turn: on submission (the first in the
#: chain) and after each acknowledgement that leaves levels open (the next one).
#: Sender: the ReportSubmission; signer= (User), actor= (User), now=.
report_awaits_signer = _signals.signal("report-awaits-signer")
