"""Sandbox simulator of Enedis Data Connect v5 and 2026: ``create_app`` / ``run`` in ``app``."""
