"""People hear about what concerns them: remarks on a step, watchers, in-app
notifications (and the same events by email through the outbox)."""
