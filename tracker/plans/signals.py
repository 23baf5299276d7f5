"""What the core announces to the features around it.

`plans` never imports a feature; a feature that must react to a change of a
step (notifications, for one) connects to a signal here. Receivers run inside
the service's transaction: they may add rows and flush, never commit.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

#: Sent by `services.change_status` after the change is journaled: the step is
#: the sender, with actor= (a User or None), old= and new= (StepStatus) and now=.
step_status_changed = _signals.signal("step-status-changed")
