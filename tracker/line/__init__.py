"""LINE as a notification channel beside email (issue 15).

An organization connects its LINE Official Account (Messaging API channel);
its people link their LINE accounts through LINE's account-linking flow and
choose, per kind of notification, email, LINE, both or neither. Messages go
through the same outbox as email (tracker/notify): queued once, claimed by
one sender, retried, recorded.
"""
